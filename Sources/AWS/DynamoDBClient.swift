import AdjoinCore

/// The few DynamoDB calls the status table needs (JSON 1.0 protocol, DynamoDB_20120810).
public final class DynamoDBClient {
    let client: AWSServiceClient

    public convenience init(region: String, credentials: AWSCredentialProvider, environment: AWSEnvironment) throws(AdjoinError) {
        try self.init(region: region, credentials: credentials, environment: environment, transport: environment.makeTransport())
    }

    /// `transport`: libcurl when nil.
    init(
        region: String, credentials: AWSCredentialProvider, environment: AWSEnvironment, transport: (any HTTPTransport)?
    ) throws(AdjoinError) {
        client = try AWSServiceClient(
            service: .dynamoDB, region: region,
            endpoint: try environment.endpoint(for: .dynamoDB, region: region), credentials: credentials, transport: transport)
    }

    /// An attribute value as DynamoDB writes it: {"S": text} or {"N": "digits"}.
    public static func string(_ text: String) -> JSON { .object([("S", .string(text))]) }
    public static func number(_ value: Int64) -> JSON { .object([("N", .string(String(value)))]) }

    public enum PutOutcome: Sendable, Equatable {
        case written
        /// The condition expression was false: the item stays as it was.
        case conditionFailed
    }

    /// PutItem with an optional condition. `names` and `values` are ExpressionAttributeNames/Values.
    public func putItem(
        table: String, item: [(String, JSON)], condition: String? = nil, names: [(String, String)] = [],
        values: [(String, JSON)] = [], deadline: Deadline
    ) throws(AdjoinError) -> PutOutcome {
        var body: [(String, JSON)] = [("TableName", .string(table)), ("Item", .object(item))]
        if let condition { body.append(("ConditionExpression", .string(condition))) }
        if !names.isEmpty { body.append(("ExpressionAttributeNames", .object(names.map { ($0.0, .string($0.1)) }))) }
        if !values.isEmpty { body.append(("ExpressionAttributeValues", .object(values))) }
        do {
            _ = try client.callJSON(
                "DynamoDB_20120810.PutItem", operation: "PutItem", body: .object(body), jsonVersion: "1.0",
                deadline: deadline)
            return .written
        } catch {
            if case .service(let reply, _) = error, reply.code == "ConditionalCheckFailedException" { return .conditionFailed }
            throw DynamoDBClient.explain(error, operation: "writing to the DynamoDB table \(table)")
        }
    }

    /// The item with this key (attribute name and value), or nil; consistent read. Members of the reply
    /// named in `secretKeys` are decoded into SecretBytes.
    public func getItem(table: String, key: [(String, JSON)], secretKeys: Set<String> = [], deadline: Deadline) throws(AdjoinError) -> JSON?
    {
        do {
            let reply = try client.callJSON(
                "DynamoDB_20120810.GetItem", operation: "GetItem",
                body: .object([
                    ("TableName", .string(table)), ("Key", .object(key)), ("ConsistentRead", .bool(true)),
                ]), jsonVersion: "1.0", secretKeys: secretKeys, deadline: deadline)
            return reply["Item"]
        } catch {
            throw DynamoDBClient.explain(error, operation: "reading from the DynamoDB table \(table)")
        }
    }

    private static func explain(_ failure: AWSCallError, operation: String) -> AdjoinError {
        if case .service(let reply, _) = failure, reply.code == "ResourceNotFoundException" {
            return .invalidInput("\(operation): the table does not exist")
        }
        return AdjoinError(failure.adjoinError.status, "\(operation): \(failure.adjoinError.message)")
    }
}
