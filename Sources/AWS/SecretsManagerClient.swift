import AdjoinCore

extension AWSService {
    /// `AWS_ENDPOINT_URL_SECRETS_MANAGER` overrides its endpoint, as in the SDKs.
    public static let secretsManager = AWSService(
        serviceId: "Secrets Manager", endpointPrefix: "secretsmanager",
        signingName: "secretsmanager", displayName: "Secrets Manager")
}

/// AWS Secrets Manager: the join password (or the seamless domain join secret's user and password).
public final class SecretsManagerClient {
    private let client: AWSServiceClient

    public convenience init(region: String, credentials: AWSCredentialProvider, environment: AWSEnvironment) throws(AdjoinError) {
        try self.init(region: region, credentials: credentials, environment: environment, transport: environment.makeTransport())
    }

    /// `transport`: libcurl when nil.
    init(
        region: String, credentials: AWSCredentialProvider, environment: AWSEnvironment, transport: (any HTTPTransport)?
    ) throws(AdjoinError) {
        client = try AWSServiceClient(
            service: .secretsManager, region: region,
            endpoint: try environment.endpoint(for: .secretsManager, region: region), credentials: credentials, transport: transport)
    }

    public var region: String { client.region }

    /// The secret's current `SecretString` (GetSecretValue, AWSCURRENT), decoded from the reply's
    /// bytes straight into SecretBytes. `secretId` is a name or an ARN (another account's needs the ARN).
    /// `reader` says whose credentials asked, for messages ("the role arn:...").
    public func secretString(_ secretId: String, reader: String, deadline: Deadline) throws(AdjoinError) -> SecretBytes {
        let reply: JSON
        do {
            reply = try client.callJSON(
                "secretsmanager.GetSecretValue", operation: "GetSecretValue",
                body: .object([("SecretId", .string(secretId))]), jsonVersion: "1.1",
                secretKeys: ["SecretString", "SecretBinary"], deadline: deadline)
        } catch {
            throw SecretsManagerClient.explain(error, secretId: secretId, reader: reader, region: client.region)
        }
        guard let value = reply["SecretString"]?.secret else {
            let binary = reply["SecretBinary"] != nil
            throw .invalidInput(
                "the Secrets Manager secret \(secretId) holds \(binary ? "a binary value (SecretBinary)" : "no value"): "
                    + "adjoin reads a SecretString, the password alone or seamless domain join's JSON")
        }
        return value
    }

    /// One message per way the read fails, naming the secret and never its value.
    static func explain(_ failure: AWSCallError, secretId: String, reader: String, region: String) -> AdjoinError {
        let what = "the Secrets Manager secret \(secretId)"
        guard case .service(let error, let mapped) = failure else {
            return AdjoinError(failure.adjoinError.status, "reading \(what): \(failure.adjoinError.message)")
        }
        // A refused kms:Decrypt comes back as AccessDeniedException "Access to KMS is not allowed".
        let kms = error.code == "AccessDeniedException" && (error.message ?? "").contains("KMS")
        switch kms ? "DecryptionFailure" : error.code {
        case "ResourceNotFoundException":
            return .invalidInput(
                "\(what) does not exist in \(region), or \(reader) cannot see it (another account's secret is named by its ARN)")
        case "DecryptionFailure", "KMSAccessDeniedException", "KMSDisabledException", "KMSInvalidStateException":
            return AdjoinError(
                .accessDenied,
                "KMS refused to decrypt \(what) for \(reader) (\(error.code)): "
                    + "the policy of the secret's KMS key must allow kms:Decrypt to it (a customer managed key, for another account)")
        case "AccessDeniedException":
            return AdjoinError(
                .accessDenied,
                "reading \(what) was refused to \(reader) (AccessDeniedException): "
                    + "its IAM policy and the secret's resource policy must allow secretsmanager:GetSecretValue")
        case "InvalidRequestException":
            return .invalidInput("\(what) cannot be read (InvalidRequestException): it is deleted or scheduled for deletion")
        default:
            return AdjoinError(mapped.status, "reading \(what): \(mapped.message)")
        }
    }
}
