import AdjoinCore
import AWS
import Membership

/// What the agent learns about the instance it runs on before it joins: who it is (IMDSv2), what its
/// tags ask, and its settings (the SSM parameter, with the command line's flags laid over them).
public final class InstanceContext {
    public let identity: InstanceIdentity
    /// The instance's own host name from metadata (ip-10-0-0-12.ec2.internal).
    public let hostname: String
    public let tags: InstanceTags?
    public let settings: AgentSettings
    /// Where the settings came from, for messages: "settings parameter 'adjoin'" or "the command line".
    public let settingsSource: String
    /// The region the instance's own calls go to: AWS_REGION, else the identity document's.
    public let region: String
    public let environment: AWSEnvironment
    public let credentials: AWSCredentialChain

    private init(
        identity: InstanceIdentity, hostname: String, tags: InstanceTags?, settings: AgentSettings, settingsSource: String,
        region: String, environment: AWSEnvironment, credentials: AWSCredentialChain
    ) {
        self.identity = identity
        self.hostname = hostname
        self.tags = tags
        self.settings = settings
        self.settingsSource = settingsSource
        self.region = region
        self.environment = environment
        self.credentials = credentials
    }

    /// Reads identity, tags (from metadata, else EC2 DescribeTags) and, when `parameter` is given,
    /// the settings. On an instance that opted out, settings that cannot be read do not matter:
    /// nothing will be joined, so the failure only costs the status item.
    /// `metadata`: a client the caller already holds, so that its session token serves both.
    /// `settingsPointer` (from /etc/default/adjoin) names a central settings table to read instead of the parameter.
    /// `readsJoinPassword`: false for a join with a one-time password, which has no use for the join user's
    /// password: the one the settings name (a parameter or a secret) is then not read at all.
    /// `settingsDeadline`: the settings' own bound, where it is not `deadline` (a boot join's read may wait out a
    /// throttled fleet for minutes).
    public static func load(
        parameter: String?, settingsPointer: CentralSettingsPointer? = nil, flags: AgentSettings, readTags: Bool = true,
        readsJoinPassword: Bool = true, environment: AWSEnvironment = .current(),
        metadata given: InstanceMetadata? = nil, credentials givenCredentials: AWSCredentialChain? = nil,
        deadline: Deadline, settingsDeadline: Deadline? = nil, progress: (String) -> Void
    ) throws(AdjoinError) -> InstanceContext {
        let metadata: InstanceMetadata
        if let given { metadata = given } else { metadata = try InstanceMetadata(environment: environment) }
        progress("reading this instance's identity from \(metadata.endpoint)")
        let identity = try metadata.identity(deadline: deadline)
        let hostname = try metadata.hostname(deadline: deadline)
        let region = environment.region ?? identity.region
        // A later attempt of the same command keeps the role's credentials it already fetched (refreshed as they near expiry).
        let credentials = givenCredentials ?? AWSCredentialChain(environment: environment, metadata: metadata)
        guard let parameter else {
            return InstanceContext(
                identity: identity, hostname: hostname, tags: nil, settings: flags, settingsSource: "the command line",
                region: region, environment: environment, credentials: credentials)
        }
        let tags =
            readTags
            ? try instanceTags(
                metadata: metadata, identity: identity, region: region, credentials: credentials,
                environment: environment, deadline: deadline, progress: progress)
            : InstanceTags([:], source: "nowhere (not read)")
        var settings: AgentSettings
        var source = "settings parameter '\(parameter)'"
        do throws(AdjoinError) {
            let instance = SettingsLoader.Reader(
                credentials: credentials, region: region, environment: environment, who: "this instance's role")
            (settings, source) = try SettingsLoader.load(
                parameter: parameter, pointer: settingsPointer, accountId: identity.accountId, instance: instance,
                keepPassword: flags.password != nil || !readsJoinPassword, deadline: settingsDeadline ?? deadline, progress: progress)
        } catch  where tags.optedOut(tag: flags.autoJoinTag) {
            progress("\(error.message) (the instance opted out, so this only means no status item)")
            settings = AgentSettings()
        }
        return InstanceContext(
            identity: identity, hostname: hostname, tags: tags, settings: settings.overlaid(by: flags),
            settingsSource: source, region: region, environment: environment, credentials: credentials)
    }

    /// The instance's tags alone, with its own identity and role, reading no settings: what `join
    /// --unless-joined` compares with the join's record.
    static func tags(
        metadata: InstanceMetadata, environment: AWSEnvironment, deadline: Deadline,
        progress: (String) -> Void
    ) throws(AdjoinError) -> InstanceTags {
        let identity = try metadata.identity(deadline: deadline)
        return try instanceTags(
            metadata: metadata, identity: identity, region: environment.region ?? identity.region,
            credentials: AWSCredentialChain(environment: environment, metadata: metadata), environment: environment,
            deadline: deadline, progress: progress)
    }

    /// The tags from metadata when the instance exposes them there, else from EC2 DescribeTags.
    private static func instanceTags(
        metadata: InstanceMetadata, identity: InstanceIdentity, region: String, credentials: AWSCredentialChain,
        environment: AWSEnvironment, deadline: Deadline, progress: (String) -> Void
    ) throws(AdjoinError) -> InstanceTags {
        if let exposed = try metadata.tags(deadline: deadline) { return InstanceTags(exposed, source: "instance metadata") }
        progress("instance tags are not in metadata; asking EC2 DescribeTags")
        let ec2 = try EC2Client(region: region, credentials: credentials, environment: environment)
        return InstanceTags(try ec2.tags(instanceId: identity.instanceId, deadline: deadline), source: "EC2 DescribeTags")
    }

    /// This instance as the broker answered for it: the answer's settings with the flags laid over them,
    /// and no tags (the broker read them from EC2, and chose the groups by them).
    func answered(by url: String, settings answer: AgentSettings, flags: AgentSettings) -> InstanceContext {
        InstanceContext(
            identity: identity, hostname: hostname, tags: nil, settings: answer.overlaid(by: flags), settingsSource: "the broker at \(url)",
            region: region, environment: environment, credentials: credentials)
    }

    /// Whether the instance's tags opt it out of joining.
    public var optedOut: Bool { tags?.optedOut(tag: settings.autoJoinTag) ?? false }

    /// Who may use sudo: the group given on the command line, else the instance's sudo group tag, else
    /// the settings' `sudoGroup`.
    public func sudoGroup(flagged: GroupName?) throws(AdjoinError) -> GroupName? {
        if let flagged { return flagged }
        if let tagged = try tags?.group(tag: settings.sudoGroupTag) { return tagged }
        return settings.login.sudoGroup
    }

    /// Who may log in: the groups given on the command line, else the instance's group tag, else
    /// the settings' `allowedGroups`.
    public func allowedGroups(flagged: [GroupName]) throws(AdjoinError) -> [GroupName] {
        if !flagged.isEmpty { return flagged }
        if let tagged = try tags?.group(tag: settings.groupTag) { return [tagged] }
        return settings.login.allowedGroups
    }
}
