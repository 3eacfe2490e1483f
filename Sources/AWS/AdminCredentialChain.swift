import AdjoinCore

/// The credentials of an admin command (sweep, a remote leave) as the AWS SDKs and CLI find them, in
/// their order: the environment's keys; the shared files' profile (`AWS_PROFILE`, else `default`):
/// `role_arn` assumed from `source_profile` or `credential_source`, SSO, static keys, `credential_process`;
/// the container credentials endpoint; and last the instance role from instance metadata. Every source
/// before instance metadata is decided from the environment and files alone, so that a workstation,
/// a CI runner or a container never waits for 169.254.169.254. A source that is configured but fails
/// (an expired SSO token, a process that exits non-zero) is an error, not a reason to try the next:
/// the SDKs do the same, and running as someone else than the operator meant is worse than stopping.
///
/// The instance agent's own join keeps AWSCredentialChain (the environment's keys, then the instance role).
public struct AdminCredentials {
    public let provider: AWSCredentialProvider
    /// For progress and messages: "the environment (AWS_ACCESS_KEY_ID)", "profile ops (credential_process) in ~/.aws/config".
    public let source: String
    /// `AWS_REGION`, then `AWS_DEFAULT_REGION`, then the profile's `region`; nil when none names one.
    public let region: String?
}

public enum AdminCredentialChain {
    /// The first source before instance metadata that is configured, or nil (then, on an instance, the
    /// instance role). Nothing is fetched yet: the provider fetches when first asked.
    public static func beforeInstanceMetadata(
        environment: AWSEnvironment, files: HostFiles = HostFiles()
    ) throws(AdjoinError) -> AdminCredentials? {
        let shared = try SharedConfigFiles.load(environment: environment, files: files)
        let named = environment.value("AWS_PROFILE") ?? environment.value("AWS_DEFAULT_PROFILE")
        let profileName = named ?? "default"
        if let named, shared.profiles[named] == nil {
            throw .invalidInput(
                "AWS_PROFILE names the profile \(named), which is in none of "
                    + (shared.sources.isEmpty
                        ? "the shared files (~/.aws/config, ~/.aws/credentials: not found)" : shared.sources.joined(separator: ", ")))
        }
        let region = environment.region ?? shared.profiles[profileName]?["region"]
        if let keys = try environment.credentials() {
            return AdminCredentials(provider: StaticCredentials(keys), source: keys.source, region: region)
        }
        let resolver = ProfileResolver(files: shared, environment: environment, region: region)
        if let (provider, kind) = try resolver.provider(profile: profileName, visited: []) {
            let place = shared.sources.isEmpty ? "" : " in " + shared.sources.joined(separator: " and ")
            return AdminCredentials(provider: provider, source: "profile \(profileName) (\(kind))\(place)", region: region)
        }
        if ContainerCredentials.configured(environment) {
            let (endpoint, path) = try ContainerCredentials.location(environment)
            return AdminCredentials(
                provider: try ContainerCredentials.provider(environment: environment),
                source: "the container credentials endpoint \(endpoint)\(path)", region: region)
        }
        return nil
    }
}

/// One profile's credentials, following `source_profile` to where the keys are.
struct ProfileResolver {
    let files: SharedConfigFiles
    let environment: AWSEnvironment
    /// Where STS is asked for a profile's role when the profile names no Region of its own.
    let region: String?

    /// The profile's provider and what kind it is ("role_arn", "sso", "static keys", "credential_process"),
    /// in botocore's order; nil when the profile names no credentials at all.
    func provider(profile name: String, visited: [String]) throws(AdjoinError) -> (AWSCredentialProvider, String)? {
        guard let settings = files.profiles[name] else {
            if visited.isEmpty { return nil }
            throw .invalidInput("profile \(visited.last ?? name) names source_profile \(name), which is in none of the shared files")
        }
        if let roleArn = settings["role_arn"] {
            return (try assumedRole(roleArn, profile: name, settings: settings, visited: visited + [name]), "role_arn \(roleArn)")
        }
        if settings["web_identity_token_file"] != nil {
            throw .invalidInput(
                "profile \(name) uses web_identity_token_file, which adjoin does not support; use credential_process "
                    + "(aws configure export-credentials) or a role_arn with source_profile")
        }
        if let sso = try SSOProfile(profile: name, settings: settings, files: files) {
            return (try sso.provider(environment: environment), "sso")
        }
        if settings["aws_access_key_id"] != nil {
            return (try staticKeys(profile: name, settings: settings), "static keys")
        }
        if let command = settings["credential_process"] {
            return (try ProcessCredentials.provider(command: command, profile: name, environment: environment), "credential_process")
        }
        return nil
    }

    /// `role_arn` assumed with the credentials of `source_profile` (its keys: a source profile that is
    /// itself a role is followed, a loop is refused) or of `credential_source`.
    private func assumedRole(
        _ roleArn: String, profile: String, settings: [String: String], visited: [String]
    ) throws(AdjoinError) -> AWSCredentialProvider {
        if settings["mfa_serial"] != nil {
            throw .invalidInput(
                "profile \(profile) needs an MFA code (mfa_serial), which adjoin cannot ask for; use credential_process instead")
        }
        let source: AWSCredentialProvider
        switch (settings["source_profile"], settings["credential_source"]) {
        case (let sourceProfile?, nil):
            if visited.contains(sourceProfile) && sourceProfile != profile {
                throw .invalidInput("profiles \((visited + [sourceProfile]).joined(separator: " -> ")) form a loop of source_profile")
            }
            // A profile that is its own source_profile uses its own static keys, as botocore allows.
            if sourceProfile == profile {
                source = try staticKeys(profile: profile, settings: settings)
            } else {
                guard let (found, _) = try provider(profile: sourceProfile, visited: visited) else {
                    throw .invalidInput("profile \(profile) names source_profile \(sourceProfile), which holds no credentials")
                }
                source = found
            }
        case (nil, let named?):
            source = try credentialSource(named, profile: profile)
        case (nil, nil):
            throw .invalidInput("profile \(profile) has role_arn but neither source_profile nor credential_source")
        default:
            throw .invalidInput("profile \(profile) has both source_profile and credential_source; it may name only one")
        }
        let stsRegion = settings["region"] ?? region ?? "us-east-1"
        let sts = try STSClient(region: stsRegion, credentials: source, environment: environment)
        let duration = settings["duration_seconds"].flatMap { Int($0) } ?? 3600
        return AssumedRoleCredentials(
            roleArn: roleArn, sessionName: settings["role_session_name"] ?? "adjoin-\(UTCTime.now().seconds)",
            durationSeconds: duration, externalId: settings["external_id"], sts: sts)
    }

    /// The profile's `aws_access_key_id` with its secret (and session token) from the files' secrets.
    private func staticKeys(profile: String, settings: [String: String]) throws(AdjoinError) -> AWSCredentialProvider {
        guard let keyId = settings["aws_access_key_id"], let secret = files.secrets[profile]?["aws_secret_access_key"] else {
            throw .invalidInput("profile \(profile) has no aws_access_key_id with its aws_secret_access_key")
        }
        return StaticCredentials(
            AWSCredentials(
                accessKeyId: keyId, secretAccessKey: secret, sessionToken: files.secrets[profile]?["aws_session_token"],
                source: "profile \(profile) (static keys)"))
    }

    private func credentialSource(_ name: String, profile: String) throws(AdjoinError) -> AWSCredentialProvider {
        switch name {
        case "Environment":
            guard let keys = try environment.credentials() else {
                throw .invalidInput("profile \(profile) has credential_source Environment, and AWS_ACCESS_KEY_ID is not set")
            }
            return StaticCredentials(keys)
        case "EcsContainer":
            return try ContainerCredentials.provider(environment: environment)
        case "Ec2InstanceMetadata":
            let metadata = try InstanceMetadata(environment: environment)
            return RefreshingCredentials { (deadline) throws(AdjoinError) in try metadata.roleCredentials(deadline: deadline) }
        default:
            throw .invalidInput(
                "profile \(profile) has credential_source \(name); it can be Environment, Ec2InstanceMetadata or EcsContainer")
        }
    }
}
