import AdjoinCore
import AWS

/// Whose AWS credentials an admin command (sweep, a remote leave) runs with, in which account and
/// Region, and its settings. The credentials follow the SDKs' chain (AdminCredentialChain): off an
/// instance (a workstation with an SSO profile, a CI runner, a container) the account is the caller's
/// from STS GetCallerIdentity, and instance metadata is never asked. With none of the sources before
/// instance metadata configured, it is the instance's context, loaded exactly as the join loads it.
public final class AdminContext {
    public let settings: AgentSettings
    public let settingsSource: String
    public let region: String
    public let accountId: String
    public let credentials: AWSCredentialProvider
    public let environment: AWSEnvironment
    /// What the command's STS sessions are named after: the instance id on an instance, else the
    /// caller's own name (the last part of its ARN: a user, or an SSO or role session).
    public let caller: String
    /// The instance's context when the credentials are the instance role's (status writes as before).
    public let instance: InstanceContext?

    private init(
        settings: AgentSettings, settingsSource: String, region: String, accountId: String, credentials: AWSCredentialProvider,
        environment: AWSEnvironment, caller: String, instance: InstanceContext?
    ) {
        self.settings = settings
        self.settingsSource = settingsSource
        self.region = region
        self.accountId = accountId
        self.credentials = credentials
        self.environment = environment
        self.caller = caller
        self.instance = instance
    }

    public static func load(
        parameter: String?, settingsPointer: CentralSettingsPointer? = nil, flags: AgentSettings, context: RunContext,
        deadline: Deadline, progress: (String) -> Void
    ) throws(AdjoinError) -> AdminContext {
        let environment = context.environment
        guard let found = try AdminCredentialChain.beforeInstanceMetadata(environment: environment, files: HostFiles()) else {
            // Nothing configured and not an EC2 instance (its firmware says so, and no metadata endpoint was
            // named): say so at once instead of waiting on 169.254.169.254.
            if context.firmware.ec2Sign() == nil && environment.value("AWS_EC2_METADATA_SERVICE_ENDPOINT") == nil {
                throw AdjoinError(
                    .accessDenied,
                    "no AWS credentials: none in the environment (AWS_ACCESS_KEY_ID), no profile with credentials "
                        + "(AWS_PROFILE, ~/.aws/config, ~/.aws/credentials), no container endpoint (AWS_CONTAINER_CREDENTIALS_*), "
                        + "and this is not an EC2 instance (AWS_EC2_METADATA_SERVICE_ENDPOINT names a metadata service to use anyway)")
            }
            let instance = try InstanceContext.load(
                parameter: parameter, settingsPointer: settingsPointer, flags: flags, readTags: false,
                environment: environment, deadline: deadline, progress: progress)
            return AdminContext(
                settings: instance.settings, settingsSource: instance.settingsSource, region: instance.region,
                accountId: instance.identity.accountId, credentials: instance.credentials, environment: environment,
                caller: instance.identity.instanceId, instance: instance)
        }
        progress("AWS credentials from \(found.source)")
        let region: String
        if let named = found.region {
            region = named
        } else if let sign = context.firmware.ec2Sign() {
            // On an instance (its firmware says so) with credentials from elsewhere, the SDKs take the
            // instance's Region; nowhere else is metadata asked.
            progress("no AWS Region set; this is an EC2 instance (\(sign)), so its identity document names the Region")
            region = try InstanceMetadata(environment: environment).identity(deadline: deadline).region
        } else {
            throw .invalidInput("no AWS Region: set AWS_REGION (or region in the profile's section of ~/.aws/config)")
        }
        let sts = try STSClient(region: region, credentials: found.provider, environment: environment)
        let identity = try sts.callerIdentity(deadline: deadline)
        progress("running as \(identity.arn) in the AWS account \(identity.accountId), Region \(region)")
        let caller = String(identity.arn.split(separator: "/").last ?? identity.arn.split(separator: ":").last ?? "admin")
        var settings = flags
        var source = "the command line"
        if let parameter {
            let reader = SettingsLoader.Reader(credentials: found.provider, region: region, environment: environment, who: identity.arn)
            var loaded: AgentSettings
            (loaded, source) = try SettingsLoader.load(
                parameter: parameter, pointer: settingsPointer, accountId: identity.accountId, instance: reader,
                keepPassword: flags.password != nil, deadline: deadline, progress: progress)
            loaded = loaded.overlaid(by: flags)
            settings = loaded
        }
        return AdminContext(
            settings: settings, settingsSource: source, region: region, accountId: identity.accountId,
            credentials: found.provider, environment: environment, caller: caller, instance: nil)
    }
}
