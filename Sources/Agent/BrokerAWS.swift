import AdjoinCore
import AWS
import Membership

/// The broker's world on Lambda: its role's credentials from the environment Lambda sets, the settings
/// from `ADJOIN_BROKER_SETTINGS` (the `adjoin` parameter's name or ARN, which may point to the central
/// table, or the central table's ARN), EC2 in the broker's own account with its own role and in a
/// member account through `ADJOIN_BROKER_MEMBER_ROLE` (the role name the member stack creates).
public final class BrokerAWS: BrokerWorld {
    public let environment: AWSEnvironment
    public let region: String
    public let accountId: String
    private let credentials: AWSCredentialProvider
    private let settingsSource: String
    private let memberRole: String?
    private var members: [String: AssumedRoleCredentials] = [:]
    public let connector: any DirectoryConnector
    public let clock: any WallClock
    private let progress: ProgressSink

    /// Reads the configuration and asks STS whose credentials these are (the broker's own account).
    public init(
        environment: AWSEnvironment, connector: any DirectoryConnector = LiveDirectoryConnector(), clock: any WallClock = SystemWallClock(),
        deadline: Deadline, progress: @escaping ProgressSink
    ) throws(AdjoinError) {
        self.environment = environment
        self.connector = connector
        self.clock = clock
        self.progress = progress
        guard let region = environment.region else {
            throw .invalidInput("no AWS_REGION: Lambda sets it; set it to run the broker elsewhere")
        }
        self.region = region
        guard let source = environment.value("ADJOIN_BROKER_SETTINGS"), !source.isEmpty else {
            throw .invalidInput(
                "ADJOIN_BROKER_SETTINGS is not set: name the adjoin settings parameter (name or ARN) or the central settings table's ARN")
        }
        guard AWSNames.isParameterName(source) || BrokerAWS.table(of: source) != nil else {
            throw .invalidInput("ADJOIN_BROKER_SETTINGS must be an SSM parameter name or ARN, or a DynamoDB table ARN, not \"\(source)\"")
        }
        settingsSource = source
        memberRole = environment.value("ADJOIN_BROKER_MEMBER_ROLE").flatMap { $0.isEmpty ? nil : $0 }
        if let memberRole, !AWSNames.isRoleName(memberRole) {
            throw .invalidInput("ADJOIN_BROKER_MEMBER_ROLE must be an IAM role name, not \"\(memberRole)\"")
        }
        credentials = AWSCredentialChain(environment: environment, metadata: nil)
        let sts = try STSClient(region: region, credentials: credentials, environment: environment)
        let identity = try sts.callerIdentity(deadline: deadline)
        accountId = identity.accountId
        progress(
            "broker: running as \(identity.arn) in \(region); settings from \(source)"
                + (memberRole.map { "; member accounts through their role \($0)" } ?? "; this account only (no ADJOIN_BROKER_MEMBER_ROLE)"))
    }

    /// The table and its Region in `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME`.
    static func table(of text: String) -> (name: String, region: String)? {
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "dynamodb", AWSNames.isRegion(String(parts[3])), parts[5].hasPrefix("table/")
        else { return nil }
        let name = String(parts[5].dropFirst("table/".count))
        return AWSNames.isTableName(name) ? (name, String(parts[3])) : nil
    }

    public func settings(
        accountId: String, deadline: Deadline
    ) throws(AdjoinError) -> (settings: AgentSettings, perAccount: Bool, source: String) {
        let pointer = BrokerAWS.table(of: settingsSource).map {
            CentralSettingsPointer(table: $0.name, region: $0.region, source: "ADJOIN_BROKER_SETTINGS")
        }
        let reader = SettingsLoader.Reader(credentials: credentials, region: region, environment: environment, who: "the broker's role")
        let (settings, source) = try SettingsLoader.load(
            parameter: settingsSource, pointer: pointer, accountId: accountId, instance: reader,
            keepPassword: false, forBroker: true, deadline: deadline, progress: progress)
        return (settings, source.hasPrefix("the central settings table"), source)
    }

    public func describe(
        instanceId: String, accountId: String, region: String,
        deadline: Deadline
    ) throws(AdjoinError) -> EC2Client.InstanceDescription? {
        let ec2 = try EC2Client(region: region, credentials: try credentials(for: accountId, deadline: deadline), environment: environment)
        return try ec2.describe(instanceId: instanceId, deadline: deadline)
    }

    /// Its own role in its own account; the member role in another, assumed once and kept while valid.
    private func credentials(for account: String, deadline: Deadline) throws(AdjoinError) -> AWSCredentialProvider {
        if account == accountId { return credentials }
        if let known = members[account] { return known }
        guard let memberRole else {
            throw AdjoinError(
                .notAllowed,
                "the instance is in the account \(account), not the broker's (\(accountId)), and ADJOIN_BROKER_MEMBER_ROLE names no role to reach it"
            )
        }
        let sts = try STSClient(region: region, credentials: credentials, environment: environment)
        let assumed = AssumedRoleCredentials(
            roleArn: Sweep.roleARN(account: account, roleName: memberRole, region: region),
            sessionName: "adjoin-broker", sts: sts)
        _ = try assumed.credentials(deadline: deadline)
        members[account] = assumed
        return assumed
    }
}
