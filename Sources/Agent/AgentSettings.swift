import AdjoinCore
import HostConfig

/// The agent's settings, typed: one layer (the settings document, a central item, the broker's answer,
/// the command line) as `SettingsModel` read it, or layers laid over each other. See docs/configuration.md.
public struct AgentSettings: Sendable {
    public enum ComputerNameSource: String, Sendable, CaseIterable {
        case hostname
        case instanceID = "instance-id"
    }

    /// Where the join user's password comes from. Never a String: it is wiped when released.
    public enum Password: Sendable {
        case secret(SecretBytes)
        /// The name (or ARN) of another SecureString parameter that holds the password.
        case parameter(String)
        /// The name or ARN of a Secrets Manager secret: the password alone, or seamless domain
        /// join's JSON (`awsSeamlessDomainUsername`, `awsSeamlessDomainPassword`).
        case secretsManager(String)
    }

    public var domain: DomainName?
    public var domainControllers: [HostPort] = []
    public var joinUser: String?
    public var password: Password?
    public var organizationalUnit: String?
    /// Who may log in and how (`allowedGroups`, `sudoGroup`, `configureSSH`, `posixIDs`, `sshPublicKeyAttribute`;
    /// `--configure-dns`), before the instance's tags name the groups.
    public var login = LoginSettings()
    public var statusTable: String?
    public var statusRegion: String?
    public var statusRoleArn: String?
    public var computerNameFrom: ComputerNameSource = .hostname
    /// `updateSamba`: Samba on the host (smb.conf: security = ads) gets each new machine password, at join and at rotate.
    public var updateSamba = false
    /// `servicePrincipals`: service classes (HTTP, nfs, cifs...) whose NAME/FQDN and NAME/SHORT the join adds to the account and the keytab.
    public var servicePrincipals: [ServiceName] = []
    /// The instance tag that names the group allowed to log in; it overrides `allowedGroups`.
    public var groupTag = "adGroupName"
    /// The instance tag that names the group whose members may use sudo; it overrides `sudoGroup`.
    public var sudoGroupTag = "adSudoGroupName"
    /// The instance tag whose value `false` (any case) opts the instance out.
    public var autoJoinTag = "autoadjoin"
    /// Register the host's name in the domain's DNS.
    public var registerDNS = true
    /// The address to register (nil: on EC2 the instance's private IPv4, else this host's address toward the DC).
    public var dnsAddress: SocketAddress?
    /// `broker`: the join broker's function URL. With it the instance reads no join password: the broker
    /// presets its account and hands it a one-time password (docs/broker.md).
    public var broker: String?
    /// `brokerRoles` (a central item's): the instance roles whose sessions the broker accepts from this
    /// account; empty: any role of the account.
    public var brokerRoles: [String] = []
    /// The settings this layer gives; laid over another, it replaces those only.
    public var given: Set<SettingKey> = []

    public init() {}

    /// An address to register in DNS: a numeric IPv4 or IPv6 address, nothing else.
    public static func dnsAddress(_ text: String) throws(AdjoinError) -> SocketAddress {
        guard let address = SocketAddress(numericHost: text, port: 0) else {
            throw .invalidInput("the DNS address '\(text)' is not an IP address (such as 10.0.0.12)")
        }
        return address
    }

    /// The join user's password from standard input (`--password-stdin`), as this layer's.
    mutating func readPasswordFromStandardInput() throws(AdjoinError) {
        password = .secret(try JoinPassword.fromStandardInput())
        given.insert(.joinPassword)
    }

    /// These settings with what `layer` gives laid over them (the command line's over the parameter's).
    public func overlaid(by layer: AgentSettings) -> AgentSettings {
        var merged = self
        for setting in SettingsModel.all where layer.given.contains(setting.key) {
            setting.copy(layer, &merged)
        }
        merged.given.formUnion(layer.given)
        return merged
    }
}
