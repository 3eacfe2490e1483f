import AdjoinCore

/// An access key and its secret, with the session token of temporary credentials. The secret parts
/// are SecretBytes: they print as `<secret>` and are wiped when released.
public struct AWSCredentials: Sendable {
    public let accessKeyId: String
    public let secretAccessKey: SecretBytes
    public let sessionToken: SecretBytes?
    /// When temporary credentials stop working (seconds since 1970, UTC); nil for long-term keys.
    public let expiration: Int64?
    /// Where they came from, for messages: "environment", "instance role NAME", "role ARN".
    public let source: String

    public init(accessKeyId: String, secretAccessKey: SecretBytes, sessionToken: SecretBytes?, expiration: Int64? = nil, source: String) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
        self.source = source
    }
}

/// Where a client gets its credentials each time it signs: fixed ones, or a provider that refreshes.
public protocol AWSCredentialProvider: AnyObject {
    func credentials(deadline: Deadline) throws(AdjoinError) -> AWSCredentials
    /// The service said the credentials expired: the next `credentials` call must fetch new ones.
    func invalidate()
}

/// Credentials that never change (the environment's, or a test's).
public final class StaticCredentials: AWSCredentialProvider {
    private let value: AWSCredentials
    public init(_ credentials: AWSCredentials) { value = credentials }
    public func credentials(deadline: Deadline) throws(AdjoinError) -> AWSCredentials { value }
    public func invalidate() {}
}
