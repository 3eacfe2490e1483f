import AdjoinCore

/// Who called the broker, as the function URL's IAM authorization hands it over (the event's
/// `requestContext.authorizer.iam.userArn`): only an instance profile's session is a caller, and its
/// session name is the instance's id (EC2 names the role session so; nobody else can sign as it
/// without that instance's credentials).
public struct BrokerCaller: Sendable, Equatable {
    public let accountId: String
    public let roleName: String
    public let instanceId: String

    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/i-...` (any partition). Anything else, an IAM user, a
    /// role session not named after an instance, a federated user, is ACCESS_DENIED.
    public init(arn: String) throws(AdjoinError) {
        let refused = AdjoinError(
            .accessDenied,
            "the broker joins only EC2 instances, signing with their instance profile's role "
                + "(arn:aws:sts::ACCOUNT:assumed-role/ROLE/i-...); the caller is \(arn.isEmpty ? "anonymous" : arn)")
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1].hasPrefix("aws"), parts[2] == "sts", parts[3].isEmpty,
            AWSNames.isAccountId(String(parts[4]))
        else { throw refused }
        let resource = parts[5].split(separator: "/", omittingEmptySubsequences: false)
        guard resource.count == 3, resource[0] == "assumed-role", AWSNames.isRoleName(String(resource[1])),
            AccountOwner.isInstanceID(String(resource[2]))
        else { throw refused }
        accountId = String(parts[4])
        roleName = String(resource[1])
        instanceId = String(resource[2])
    }
}

/// A broker URL as settings, flags and /etc/default/adjoin give it: https (or http to loopback, for a
/// test's stand-in), a host, no credentials in it.
public enum BrokerURL {
    public static func isValid(_ text: String) -> Bool {
        let lowered = text.lowercased()
        guard !text.contains("@"), !text.contains(" ") else { return false }
        if lowered.hasPrefix("https://") { return text.count > "https://".count }
        return lowered.hasPrefix("http://127.") || lowered.hasPrefix("http://localhost") || lowered.hasPrefix("http://[::1]")
    }
}
