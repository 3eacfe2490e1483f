import AdjoinCore
import AWS

/// Reads the agent's settings and the join password from where an account keeps them: the `adjoin`
/// parameter (by name, or by ARN in its own Region: a parameter shared from another account), or a
/// central DynamoDB table that the parameter or /etc/default/adjoin points to, read through a role of
/// the central account. The password then comes from the settings themselves, a SecureString
/// parameter or a Secrets Manager secret, read with the same credentials as the settings.
///
/// Every hop has its own message: the assumed role, the table, this account's item, the secret.
enum SettingsLoader {
    /// Whose credentials read a hop, in which Region by default, and how messages call them.
    struct Reader {
        let credentials: AWSCredentialProvider
        let region: String
        let environment: AWSEnvironment
        let who: String
    }

    /// The session tag that names the member account to the central role's policies.
    static let sessionAccountTag = "adjoin-account"

    static func load(
        parameter: String, pointer filePointer: CentralSettingsPointer?, accountId: String, instance: Reader,
        keepPassword: Bool, forBroker: Bool = false, deadline: Deadline, progress: (String) -> Void
    ) throws(AdjoinError) -> (AgentSettings, String) {
        if let filePointer {
            return try central(
                filePointer, accountId: accountId, instance: instance, keepPassword: keepPassword, forBroker: forBroker,
                deadline: deadline, progress: progress)
        }
        let source = "settings parameter '\(parameter)'"
        progress("reading \(source)")
        let ssm = try SSMClient(
            region: AWSNames.region(ofARN: parameter) ?? instance.region, credentials: instance.credentials,
            environment: instance.environment)
        let (value, type) = try ssm.getParameterAndType(parameter, reader: instance.who, deadline: deadline)
        let members = try SettingsDocument.object(value, source: source)
        if let pointer = try CentralSettingsPointer.fromParameter(members, source: source) {
            return try central(
                pointer, accountId: accountId, instance: instance, keepPassword: keepPassword, forBroker: forBroker,
                deadline: deadline, progress: progress)
        }
        var settings = try SettingsDocument.parse(members: members, source: source)
        if case .secret = settings.password, type != "SecureString" {
            throw .invalidInput("\(source) holds joinPassword but is a \(type) parameter, stored unencrypted: make it a SecureString")
        }
        // Settings that name a broker are the broker's to use: an instance reads no password, whatever else they name.
        if !keepPassword, settings.broker == nil || forBroker {
            try resolvePassword(&settings, reader: instance, deadline: deadline, progress: progress)
        }
        return (settings, source)
    }

    /// This account's item of the central table, and the password it names, read through the
    /// pointer's role (the instance's own credentials only assume it).
    private static func central(
        _ pointer: CentralSettingsPointer, accountId: String, instance: Reader, keepPassword: Bool, forBroker: Bool,
        deadline: Deadline, progress: (String) -> Void
    ) throws(AdjoinError) -> (AgentSettings, String) {
        let region = pointer.region ?? instance.region
        var reader = instance
        if let role = pointer.roleArn {
            progress("assuming \(role) for the central settings (named in \(pointer.source))")
            let sts = try STSClient(region: region, credentials: instance.credentials, environment: instance.environment)
            // The session tag lets the central role's policy limit the session to this account's item
            // (dynamodb:LeadingKeys); its trust policy checks that the tag is the caller's own account.
            let assumed = AssumedRoleCredentials(
                roleArn: role, sessionName: "adjoin-settings-" + accountId,
                tags: [(sessionAccountTag, accountId)], sts: sts)
            do {
                _ = try assumed.credentials(deadline: deadline)
            } catch {
                throw AdjoinError(error.status, "central settings (\(pointer.source)): \(error.message)")
            }
            reader = Reader(credentials: assumed, region: region, environment: instance.environment, who: "the role \(role)")
        } else {
            reader = Reader(credentials: instance.credentials, region: region, environment: instance.environment, who: instance.who)
        }
        let table = "central settings table \(pointer.table) in \(region)"
        progress("reading this account's item (\(accountId)) from the \(table)")
        let dynamoDB = try DynamoDBClient(region: region, credentials: reader.credentials, environment: instance.environment)
        let item: JSON?
        do {
            // Every string arrives as SecretBytes, so that a password put in the table by mistake
            // (refused below) never becomes a String.
            item = try dynamoDB.getItem(
                table: pointer.table, key: [(CentralSettingsItem.keyAttribute, DynamoDBClient.string(accountId))],
                secretKeys: ["S"], deadline: deadline)
        } catch {
            throw AdjoinError(error.status, "\(table) (named in \(pointer.source)), read by \(reader.who): \(error.message)")
        }
        guard let item else {
            // For the broker, an account without an item is one the central settings do not allow.
            throw AdjoinError(
                forBroker ? .notAllowed : .invalidInput,
                "the \(table) has no item for \(forBroker ? "the instance's" : "this") account (accountId \(accountId)): add one, keyed by accountId"
            )
        }
        let source = "the \(table), item \(accountId)"
        let members = try CentralSettingsItem.members(item, accountId: accountId, region: instance.region, source: source)
        var settings = try SettingsDocument.parse(members: members, source: source)
        // Settings that name a broker are the broker's to use: an instance reads no password, whatever else they name.
        if !keepPassword, settings.broker == nil || forBroker {
            try resolvePassword(&settings, reader: reader, deadline: deadline, progress: progress)
        }
        return (settings, source)
    }

    /// Replaces a password named by the settings (a parameter or a secret) with its value; a
    /// seamless-join secret's user name becomes the join user.
    static func resolvePassword(
        _ settings: inout AgentSettings, reader: Reader, deadline: Deadline,
        progress: (String) -> Void
    ) throws(AdjoinError) {
        switch settings.password {
        case .parameter(let name):
            let ssm = try SSMClient(
                region: AWSNames.region(ofARN: name) ?? reader.region, credentials: reader.credentials,
                environment: reader.environment)
            settings.password = .secret(try passwordParameter(name, ssm: ssm, reader: reader.who, deadline: deadline))
        case .secretsManager(let id):
            progress("reading the join password from the Secrets Manager secret \(id)")
            let secrets = try SecretsManagerClient(
                region: AWSNames.region(ofARN: id) ?? reader.region, credentials: reader.credentials,
                environment: reader.environment)
            let (user, password) = try JoinPasswordSecret.read(
                try secrets.secretString(id, reader: reader.who, deadline: deadline), secretId: id)
            settings.password = .secret(password)
            if let user { settings.joinUser = user }
        case .secret, nil:
            break
        }
    }

    /// The password in a second SecureString parameter: its whole value, less one trailing newline.
    private static func passwordParameter(
        _ name: String, ssm: SSMClient, reader: String, deadline: Deadline
    ) throws(AdjoinError) -> SecretBytes {
        let (value, type) = try ssm.getParameterAndType(name, reader: reader, deadline: deadline)
        guard type == "SecureString" else {
            throw .invalidInput("the password parameter \(name) is a \(type) parameter, stored unencrypted: make it a SecureString")
        }
        let trimmed = JoinPasswordSecret.trimmed(value)
        guard !trimmed.isEmpty, !trimmed.containsNUL else {
            throw .invalidInput("the password parameter \(name) is empty or holds a NUL character")
        }
        return trimmed
    }
}
