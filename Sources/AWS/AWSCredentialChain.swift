import AdjoinCore

/// The SDKs' default chain, as far as an agent on an instance needs it: the environment's keys
/// first, then the instance role's temporary credentials from instance metadata, fetched again
/// when less than five minutes remain (or when a service says they expired).
public final class AWSCredentialChain: AWSCredentialProvider {
    private let environment: AWSEnvironment
    private let metadata: InstanceMetadata?
    private var cached: AWSCredentials?
    /// Role credentials are replaced when they have less than this left.
    let refreshMargin: Int64 = 300

    public init(environment: AWSEnvironment, metadata: InstanceMetadata?) {
        self.environment = environment
        self.metadata = metadata
    }

    public func credentials(deadline: Deadline) throws(AdjoinError) -> AWSCredentials {
        if let fixed = try environment.credentials() { return fixed }
        if let cached, !needsRefresh(cached) { return cached }
        guard let metadata else {
            throw AdjoinError(
                .accessDenied, "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run on an instance with a role")
        }
        let fresh = try metadata.roleCredentials(deadline: deadline)
        cached = fresh
        return fresh
    }

    public func invalidate() { cached = nil }

    private func needsRefresh(_ credentials: AWSCredentials) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return expiration - UTCTime.now().seconds < refreshMargin
    }
}
