import AdjoinCore

/// STS AssumeRole: a central account's role for writing status into its table, a profile's `role_arn`;
/// GetCallerIdentity: whose credentials an admin command runs with, off an instance.
public final class STSClient {
    private let client: AWSServiceClient

    public convenience init(region: String, credentials: AWSCredentialProvider, environment: AWSEnvironment) throws(AdjoinError) {
        try self.init(region: region, credentials: credentials, environment: environment, transport: environment.makeTransport())
    }

    /// `transport`: libcurl when nil.
    init(
        region: String, credentials: AWSCredentialProvider, environment: AWSEnvironment, transport: (any HTTPTransport)?
    ) throws(AdjoinError) {
        client = try AWSServiceClient(
            service: .sts, region: region, endpoint: try environment.endpoint(for: .sts, region: region),
            credentials: credentials, transport: transport)
    }

    /// Temporary credentials of the role `arn`. The secret key and token go from the reply into
    /// SecretBytes without passing through a String.
    /// `tags` become session tags, which the role's policies can read (`aws:PrincipalTag/KEY`).
    public func assumeRole(
        arn: String, sessionName: String, durationSeconds: Int = 900, tags: [(String, String)] = [],
        externalId: String? = nil, deadline: Deadline
    ) throws(AdjoinError) -> AWSCredentials {
        let reply: XMLElement
        do {
            let tagParameters = tags.enumerated().flatMap { index, tag in
                [("Tags.member.\(index + 1).Key", tag.0), ("Tags.member.\(index + 1).Value", tag.1)]
            }
            reply = try client.callQuery(
                "AssumeRole", version: "2011-06-15",
                parameters: [
                    ("RoleArn", arn), ("RoleSessionName", STSClient.sessionName(sessionName)), ("DurationSeconds", String(durationSeconds)),
                ] + tagParameters + (externalId.map { [("ExternalId", $0)] } ?? []), secretNames: ["SecretAccessKey", "SessionToken"],
                deadline: deadline)
        } catch {
            throw AdjoinError(error.adjoinError.status, "assuming the role \(arn): \(error.adjoinError.message)")
        }
        guard let credentials = reply.child("AssumeRoleResult")?.child("Credentials"),
            let keyId = credentials.child("AccessKeyId")?.text, !keyId.isEmpty,
            let secret = credentials.child("SecretAccessKey")?.secret, let token = credentials.child("SessionToken")?.secret
        else {
            throw AdjoinError(.unknownError, "the reply to AssumeRole \(arn) from \(client.label) holds no credentials")
        }
        return AWSCredentials(
            accessKeyId: keyId, secretAccessKey: secret, sessionToken: token,
            expiration: credentials.child("Expiration").flatMap { UTCTime.parse($0.text) }?.seconds,
            source: "the role \(arn)")
    }

    /// The account and ARN of whoever signs with these credentials (needs no permission).
    public func callerIdentity(deadline: Deadline) throws(AdjoinError) -> (accountId: String, arn: String) {
        let reply: XMLElement
        do {
            reply = try client.callQuery("GetCallerIdentity", version: "2011-06-15", parameters: [], deadline: deadline)
        } catch {
            throw AdjoinError(error.adjoinError.status, "GetCallerIdentity (whose AWS credentials these are): \(error.adjoinError.message)")
        }
        guard let result = reply.child("GetCallerIdentityResult"), let account = result.child("Account")?.text, !account.isEmpty,
            let arn = result.child("Arn")?.text, !arn.isEmpty
        else {
            throw AdjoinError(.unknownError, "the reply to GetCallerIdentity from \(client.label) names no account")
        }
        return (account, arn)
    }

    /// STS allows 2 to 64 of [A-Za-z0-9+=,.@_-]; anything else becomes '-'.
    static func sessionName(_ text: String) -> String {
        var name = String(
            text.unicodeScalars.map { scalar -> Character in
                let allowed =
                    scalar.isASCII
                    && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "+=,.@_-".unicodeScalars.contains(scalar))
                return allowed ? Character(scalar) : "-"
            }.prefix(64))
        while name.count < 2 { name += "-" }
        return name
    }
}

/// Credentials of an assumed role, assumed again when less than five minutes remain.
public final class AssumedRoleCredentials: AWSCredentialProvider {
    private let sts: STSClient
    public let roleArn: String
    private let sessionName: String
    private let tags: [(String, String)]
    private let durationSeconds: Int
    private let externalId: String?
    private var cached: AWSCredentials?

    public init(
        roleArn: String, sessionName: String, tags: [(String, String)] = [], durationSeconds: Int = 900, externalId: String? = nil,
        sts: STSClient
    ) {
        self.roleArn = roleArn
        self.sessionName = sessionName
        self.tags = tags
        self.durationSeconds = durationSeconds
        self.externalId = externalId
        self.sts = sts
    }

    public func credentials(deadline: Deadline) throws(AdjoinError) -> AWSCredentials {
        if let cached, (cached.expiration ?? Int64.max) - UTCTime.now().seconds >= 300 { return cached }
        let fresh = try sts.assumeRole(
            arn: roleArn, sessionName: sessionName, durationSeconds: durationSeconds, tags: tags,
            externalId: externalId, deadline: deadline)
        cached = fresh
        return fresh
    }

    public func invalidate() { cached = nil }
}
