import AdjoinCore

/// One run's report for the status table: JOINING at the start, then the final status.
public struct StatusRecord: Sendable {
    public var instanceId: String
    public var status: Status
    public var domain: String?
    public var computerName: String?
    public var computerDN: String?
    public var domainController: String?
    public var accountId: String?
    public var region: String?
    public var agentVersion: String
    public var durationMs: Int64
    public var message: String
    /// When this run started (milliseconds since 1970, UTC): the same for all of a run's writes, and
    /// what orders runs, so that a late write of an older run never hides a newer one.
    public var runStartedAtMilliseconds: Int64
    /// Which attempt of a join that keeps trying at boot (nil: a single run).
    public var attempt: Int?

    public init(
        instanceId: String, status: Status, domain: String? = nil, computerName: String? = nil, computerDN: String? = nil,
        domainController: String? = nil, accountId: String? = nil, region: String? = nil,
        agentVersion: String = AdjoinVersion.current, durationMs: Int64 = 0, message: String = "",
        runStartedAtMilliseconds: Int64
    ) {
        self.instanceId = instanceId
        self.status = status
        self.domain = domain
        self.computerName = computerName
        self.computerDN = computerDN
        self.domainController = domainController
        self.accountId = accountId
        self.region = region
        self.agentVersion = agentVersion
        self.durationMs = durationMs
        self.message = message
        self.runStartedAtMilliseconds = runStartedAtMilliseconds
    }

    /// Milliseconds since 1970 now, for `runStartedAtMilliseconds`.
    public static func now() -> Int64 { UTCTime.now().totalMilliseconds }

    /// Orders writes: the run's start, then the phase (JOINING before the outcome).
    var sequence: Int64 { runStartedAtMilliseconds * 10 + (status == .joining ? 0 : 1) }
}

public enum StatusWriteOutcome: Sendable, Equatable {
    case written
    /// The table already holds a newer state (a later run, or this run's outcome): left as it was.
    case superseded
}

/// The central status table: one item per instance, key `instanceId`. Written with a condition on
/// `sequence`, so that a stale writer cannot overwrite a newer state. Through an assumed role when
/// the table lives in another account.
public final class StatusTable {
    public let table: String
    public let region: String
    let dynamoDB: DynamoDBClient

    /// `credentials` are the instance's own; with `roleArn`, they assume that role (STS in `region`)
    /// and the role's credentials write.
    public init(
        table: String, region: String, roleArn: String? = nil, sessionName: String = "adjoin",
        credentials: AWSCredentialProvider, environment: AWSEnvironment
    ) throws(AdjoinError) {
        self.table = table
        self.region = region
        var writer = credentials
        if let roleArn {
            let sts = try STSClient(region: region, credentials: credentials, environment: environment)
            writer = AssumedRoleCredentials(roleArn: roleArn, sessionName: sessionName, sts: sts)
        }
        dynamoDB = try DynamoDBClient(region: region, credentials: writer, environment: environment)
    }

    /// Writes the record unless the table holds a newer one. Throws when the write finally fails;
    /// the caller reports that without failing a good join.
    public func record(_ record: StatusRecord, deadline: Deadline) throws(AdjoinError) -> StatusWriteOutcome {
        let now = UTCTime.now()
        var item: [(String, JSON)] = [
            ("instanceId", DynamoDBClient.string(record.instanceId)),
            ("status", DynamoDBClient.string(record.status.rawValue)),
        ]
        for (name, value) in [
            ("domain", record.domain), ("computerName", record.computerName), ("computerDN", record.computerDN),
            ("domainController", record.domainController), ("accountId", record.accountId), ("region", record.region),
        ] {
            if let value, !value.isEmpty { item.append((name, DynamoDBClient.string(value))) }
        }
        item += [
            ("agentVersion", DynamoDBClient.string(record.agentVersion)),
            ("updatedAt", DynamoDBClient.string(now.iso8601)),
            ("durationMs", DynamoDBClient.number(record.durationMs)),
            ("message", DynamoDBClient.string(record.message.isEmpty ? record.status.rawValue : record.message)),
            ("sequence", DynamoDBClient.number(record.sequence)),
        ]
        if let attempt = record.attempt { item.append(("attempt", DynamoDBClient.number(Int64(attempt)))) }
        let outcome = try dynamoDB.putItem(
            table: table, item: item, condition: "attribute_not_exists(instanceId) OR #sequence < :sequence",
            names: [("#sequence", "sequence")], values: [(":sequence", DynamoDBClient.number(record.sequence))], deadline: deadline)
        return outcome == .written ? .written : .superseded
    }

    /// The instance's item as DynamoDB returns it (attribute name to {"S"|"N": value}), or nil.
    public func item(instanceId: String, deadline: Deadline) throws(AdjoinError) -> JSON? {
        try dynamoDB.getItem(table: table, key: [("instanceId", DynamoDBClient.string(instanceId))], deadline: deadline)
    }
}
