import AdjoinCore

/// AWS Systems Manager Parameter Store: the agent's settings and the join password.
public final class SSMClient {
    private let client: AWSServiceClient

    public convenience init(region: String, credentials: AWSCredentialProvider, environment: AWSEnvironment) throws(AdjoinError) {
        try self.init(region: region, credentials: credentials, environment: environment, transport: environment.makeTransport())
    }

    /// `transport`: libcurl when nil.
    init(
        region: String, credentials: AWSCredentialProvider, environment: AWSEnvironment, transport: (any HTTPTransport)?
    ) throws(AdjoinError) {
        client = try AWSServiceClient(
            service: .ssm, region: region, endpoint: try environment.endpoint(for: .ssm, region: region),
            credentials: credentials, transport: transport)
    }

    /// The parameter's value, decrypted (`WithDecryption`: SecureString parameters come back in
    /// clear over TLS). The value goes from the reply's bytes into SecretBytes, never into a String.
    public func getParameter(_ name: String, deadline: Deadline) throws(AdjoinError) -> SecretBytes {
        try getParameterAndType(name, deadline: deadline).value
    }

    /// The value and the parameter's type (String, StringList or SecureString), so that a caller can
    /// refuse a secret that was stored unencrypted.
    /// `reader` names whose credentials ask, for the message when they are refused.
    public func getParameterAndType(
        _ name: String, reader: String = "the instance role",
        deadline: Deadline
    ) throws(AdjoinError) -> (value: SecretBytes, type: String) {
        let reply: JSON
        do {
            reply = try client.callJSON(
                "AmazonSSM.GetParameter", operation: "GetParameter",
                body: .object([("Name", .string(name)), ("WithDecryption", .bool(true))]),
                jsonVersion: "1.1", secretKeys: ["Value"], deadline: deadline)
        } catch {
            throw SSMClient.explain(error, name: name, label: client.label, region: client.region, reader: reader)
        }
        guard let value = reply["Parameter"]?["Value"]?.secret else {
            throw AdjoinError(.unknownError, "the reply to GetParameter \(name) from \(client.label) holds no value")
        }
        return (value, reply["Parameter"]?["Type"]?.string ?? "")
    }

    private static func explain(_ failure: AWSCallError, name: String, label: String, region: String, reader: String) -> AdjoinError {
        guard case .service(let error, let mapped) = failure else {
            return AdjoinError(failure.adjoinError.status, "reading the SSM parameter \(name): \(failure.adjoinError.message)")
        }
        switch error.code {
        case "ParameterNotFound", "ParameterVersionNotFound":
            return .invalidInput("the SSM parameter \(name) does not exist in \(region) (\(label))")
        case "AccessDeniedException", "KMSAccessDeniedException":
            return AdjoinError(
                .accessDenied,
                "reading the SSM parameter \(name) was refused: \(error.code); "
                    + "\(reader) needs ssm:GetParameter on it and kms:Decrypt on its key")
        default:
            return AdjoinError(mapped.status, "reading the SSM parameter \(name): \(mapped.message)")
        }
    }
}
