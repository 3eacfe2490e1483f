import AdjoinCore
import HostConfig

/// One setting, declared once: its key (and the names older domain-join scripts gave it), how its value
/// is read and checked from any layer (the settings document, a central item, the command line), where
/// it lands in `AgentSettings`, typed, and whether the broker hands it on to the instance as it is.
struct Setting {
    let key: SettingKey
    /// Older names that mean the same (the blog's `dnsName`, `adJoinUserName`...).
    var legacy: [String] = []
    /// false: a command-line flag only, unknown to a settings document.
    var inDocument = true
    /// The broker hands the value on to the instance as it is (host settings the broker does not decide).
    var handedOn = false
    let read: (SettingsReader, inout AgentSettings) throws(AdjoinError) -> Void
    let copy: (AgentSettings, inout AgentSettings) -> Void
    var write: (AgentSettings) -> JSON? = { _ in nil }
    /// The command-line flag that gives it, and that flag's help (nil: a setting of the document only).
    var flag: String?
    var flagHelp: String?

    func offered(as flag: String, help: String) -> Setting {
        var offered = self
        offered.flag = flag
        offered.flagHelp = help
        return offered
    }
}

extension SettingKey {
    /// The help of the flag that gives this setting, as `--help` shows it.
    public var flagHelp: String { SettingsModel.setting(self)?.flagHelp ?? "" }
}

/// Every setting the agent takes. A new setting is an entry here, a flag on the command that offers it,
/// and the code that uses it.
enum SettingsModel {
    /// Built once: every document read, overlay and flag's help walks it. Its closures capture only key
    /// paths and never change, so sharing it across threads is safe.
    nonisolated(unsafe) static let all: [Setting] = {
        [
            checked(.domain, legacy: ["dnsName"], \.domain) { (text) throws(AdjoinError) in try DomainName(text) }
                .offered(
                    as: "--domain",
                    help: "The DNS name of the domain, e.g. corp.example.com (default: from the settings parameter, on EC2)."),
            Setting(
                key: .domainControllers, legacy: ["dnsIP1", "dnsIP2"],
                read: { (reader, settings) throws(AdjoinError) in settings.domainControllers = try reader.domainControllers() },
                copy: copying(\.domainControllers)),
            text(.joinUser, legacy: ["adJoinUserName"], \.joinUser)
                .offered(as: "--user", help: "A user allowed to join computers (adjoiner, CORP\\adjoiner or adjoiner@corp.example.com)."),
            // The three ways to name the password are one setting: read together, so that two are refused.
            Setting(
                key: .joinPassword,
                read: { (reader, settings) throws(AdjoinError) in settings.password = try reader.password() ?? settings.password },
                copy: copying(\.password)),
            Setting(key: .joinPasswordParameter, legacy: ["adJoinUserPwParam"], read: { _, _ in }, copy: copying(\.password)),
            Setting(key: .joinPasswordSecret, read: { _, _ in }, copy: copying(\.password)),
            text(.organizationalUnit, \.organizationalUnit)
                .offered(as: "--ou", help: "The OU for a new computer account (default: the domain's computers container)."),
            Setting(
                key: .allowedGroups,
                read: { (reader, settings) throws(AdjoinError) in
                    var groups: [GroupName] = []
                    for name in try reader.strings(.allowedGroups) {
                        let group = try reader.checked(.allowedGroups) { () throws(AdjoinError) in try GroupName(name) }
                        if !groups.contains(group) { groups.append(group) }
                    }
                    if reader.has(.allowedGroups) { settings.login.allowedGroups = groups }
                },
                copy: copying(\.login.allowedGroups)
            )
            .offered(
                as: "--allow-group", help: "An AD group whose members may log in (repeatable). Letters, digits, spaces and _ . : / = + - @."
            ),
            checked(.sudoGroup, \.login.sudoGroup) { (text) throws(AdjoinError) in try GroupName(text) }
                .offered(
                    as: "--sudo-group", help: "An AD group whose members may use sudo (a drop-in in /etc/sudoers.d, checked with visudo)."),
            text(
                .statusTable, \.statusTable, matching: AWSNames.isTableName,
                expected: "a DynamoDB table name (3 to 255 of a-z A-Z 0-9 _ . -)", handedOn: true
            )
            .offered(
                as: "--status-table",
                help: "The DynamoDB table for this instance's status (overrides statusTable; needs instance metadata)."),
            text(.statusRegion, \.statusRegion, matching: AWSNames.isRegion, expected: "an AWS region such as eu-west-1", handedOn: true),
            text(
                .statusRoleArn, \.statusRoleArn, matching: AWSNames.isRoleARN,
                expected: "an IAM role ARN such as arn:aws:iam::123456789012:role/adjoin-status", handedOn: true),
            Setting(
                key: .computerNameFrom,
                read: { (reader, settings) throws(AdjoinError) in
                    guard let source = try reader.string(.computerNameFrom) else { return }
                    guard let parsed = AgentSettings.ComputerNameSource(rawValue: source) else {
                        throw reader.error(.computerNameFrom, "must be \"hostname\" or \"instance-id\", not \"\(source)\"")
                    }
                    settings.computerNameFrom = parsed
                },
                copy: copying(\.computerNameFrom)),
            tag(.groupTag, \.groupTag),
            tag(.sudoGroupTag, \.sudoGroupTag),
            tag(.autoJoinTag, \.autoJoinTag),
            flag(.registerDNS, \.registerDNS, handedOn: true)
                .offered(
                    as: "--no-register-dns",
                    help:
                        "Do not register this host's name in the domain's DNS (default: an A record, written by the machine with a secure dynamic update)."
                ),
            checked(.dnsAddress, \.dnsAddress) { (text) throws(AdjoinError) in try AgentSettings.dnsAddress(text) }
                .offered(
                    as: "--dns-address",
                    help:
                        "The address to register in DNS, IPv4 or IPv6 (default: on EC2 the instance's private IPv4, or its IPv6 address where it has no IPv4, else this host's address toward the DC)."
                ),
            flag(.configureSSH, \.login.configureSSH, handedOn: true)
                .offered(
                    as: "--no-configure-ssh",
                    help:
                        "Leave sshd as the image has it. By default the --allow-group groups may log in by SSH with their AD password and by Kerberos (a Match Group drop-in in /etc/ssh/sshd_config.d, checked with sshd -t); everyone else keeps the image's rules."
                ),
            flag(.configureDNS, \.login.configureDNS, inDocument: false)
                .offered(
                    as: "--configure-dns",
                    help: "Resolve the domain's names through its DCs (a systemd-resolved drop-in; advice where resolved does not run)."),
            flag(.posixIDs, \.login.posixIDs, handedOn: true)
                .offered(
                    as: "--posix-ids",
                    help:
                        "Users' and groups' IDs are their uidNumber and gidNumber in the directory (sssd's ldap_id_mapping = false), for directories that carry them; a user without a uidNumber cannot log in. By default IDs are derived from SIDs, the same on every host."
                ),
            text(
                .sshPublicKeyAttribute, \.login.sshPublicKeyAttribute, matching: AttributeName.isValid,
                expected: "an LDAP attribute name, such as altSecurityIdentities"
            )
            .offered(
                as: "--ssh-public-key-attribute",
                help:
                    "Members of the login groups may also log in by SSH with the public keys the directory holds for them in this attribute (for example altSecurityIdentities, or sshPublicKey where the schema has it): sssd serves them to sshd through sss_ssh_authorizedkeys. Their own ~/.ssh/authorized_keys still works."
            ),
            flag(.updateSamba, \.updateSamba)
                .offered(
                    as: "--update-samba",
                    help:
                        "When smb.conf makes Samba on this host a member of the domain (security = ads, this realm), hand it the new machine password (net changesecretpw, on standard input) and the domain SID, so that the file server keeps working; recorded, so that rotate keeps Samba in step too. Without it, such a host is joined with a warning and rotate refuses (SAMBA_IN_USE)."
                ),
            Setting(
                key: .servicePrincipals,
                read: { (reader, settings) throws(AdjoinError) in
                    let services = try reader.strings(.servicePrincipals)
                    settings.servicePrincipals = try reader.checked(.servicePrincipals) { () throws(AdjoinError) in
                        try ServiceName.list(services)
                    }
                },
                copy: copying(\.servicePrincipals)
            )
            .offered(
                as: "--service-name",
                help:
                    "A service this host runs under Kerberos (repeatable): HTTP, nfs, cifs... NAME/FQDN and NAME/SHORT are added to the account's SPNs and to the keytab with the machine's keys; a later join with another list converges to it, removing only SPNs adjoin added (overrides the settings' servicePrincipals). ASCII letters, digits and - _ .; host is always there."
            ),
            text(.broker, \.broker, matching: BrokerURL.isValid, expected: "the broker's https:// function URL"),
            Setting(
                key: .brokerRoles,
                read: { (reader, settings) throws(AdjoinError) in
                    for role in try reader.strings(.brokerRoles) {
                        guard AWSNames.isRoleName(role) else {
                            throw reader.error(.brokerRoles, "must be a list of IAM role names, and holds \"\(role)\"")
                        }
                        settings.brokerRoles.append(role)
                    }
                },
                copy: copying(\.brokerRoles)),
        ]
    }()

    static func setting(_ key: SettingKey) -> Setting? { all.first { $0.key == key } }

    /// The modern name of a key given under either name (dnsIP2: domainControllers), nil if unknown to a document.
    static func key(named name: String) -> SettingKey? {
        all.first { $0.inDocument && ($0.key.rawValue == name || $0.legacy.contains(name)) }?.key
    }

    /// The settings the broker hands on, as its answer's members.
    static func handedOn(_ settings: AgentSettings) -> [(String, JSON)] {
        all.filter { $0.handedOn && settings.given.contains($0.key) }.compactMap { setting in
            setting.write(settings).map { (setting.key.rawValue, $0) }
        }
    }

    private static func copying<Value>(_ path: WritableKeyPath<AgentSettings, Value>) -> (AgentSettings, inout AgentSettings) -> Void {
        { layer, settings in settings[keyPath: path] = layer[keyPath: path] }
    }

    private static func text(
        _ key: SettingKey, legacy: [String] = [], _ path: WritableKeyPath<AgentSettings, String?>,
        matching valid: ((String) -> Bool)? = nil, expected: String = "", handedOn: Bool = false
    ) -> Setting {
        Setting(
            key: key, legacy: legacy, handedOn: handedOn,
            read: { (reader, settings) throws(AdjoinError) in
                let text = if let valid { try reader.string(key, matching: valid, expected: expected) } else { try reader.string(key) }
                if let text { settings[keyPath: path] = text }
            },
            copy: copying(path), write: { $0[keyPath: path].map(JSON.string) })
    }

    private static func checked<Value>(
        _ key: SettingKey, legacy: [String] = [], _ path: WritableKeyPath<AgentSettings, Value?>,
        _ make: @escaping (String) throws(AdjoinError) -> Value
    ) -> Setting {
        Setting(
            key: key, legacy: legacy,
            read: { (reader, settings) throws(AdjoinError) in
                guard let text = try reader.string(key) else { return }
                settings[keyPath: path] = try reader.checked(key) { () throws(AdjoinError) in try make(text) }
            },
            copy: copying(path))
    }

    private static func flag(
        _ key: SettingKey, _ path: WritableKeyPath<AgentSettings, Bool>, inDocument: Bool = true, handedOn: Bool = false
    ) -> Setting {
        Setting(
            key: key, inDocument: inDocument, handedOn: handedOn,
            read: { (reader, settings) throws(AdjoinError) in
                if let value = try reader.bool(key) { settings[keyPath: path] = value }
            },
            copy: copying(path), write: { .bool($0[keyPath: path]) })
    }

    private static func tag(_ key: SettingKey, _ path: WritableKeyPath<AgentSettings, String>) -> Setting {
        Setting(
            key: key,
            read: { (reader, settings) throws(AdjoinError) in
                if let tag = try reader.string(key, matching: AWSNames.isTagKey, expected: "an EC2 tag key") {
                    settings[keyPath: path] = tag
                }
            },
            copy: copying(path))
    }
}
