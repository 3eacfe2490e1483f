import AdjoinCore
import Kerberos

/// What an operation on one computer account needs to know, and nothing of a host: no host files, no
/// keytab, no OS release read from a root. The join, `adjoin preset` (for an administrator, as adcli's
/// `preset-computer`) and a broker that presets accounts for instances all hand ComputerAccount and
/// AccountWrites this, so that they create, reset and check accounts with the same code.
public struct AccountTarget: Sendable {
    public var domain: DomainName
    public var computerName: ComputerName
    /// The name the account's dNSHostName and SPNs carry.
    public var hostFQDN: String
    /// The owner marker to record; nil: none (a preset without --owner). An account whose marker names
    /// another owner is refused either way.
    public var owner: AccountOwner?
    /// DN of the OU for a new account; nil: the domain's well-known computers container.
    public var organizationalUnit: String?
    public var encryptionTypes: [EncryptionType]
    /// The host's system, for operatingSystem(Version); nil where no host is at hand (a preset).
    public var osRelease: OSRelease?
    /// Who makes the changes, as a principal: named in the messages about a right it lacks.
    public var actor: String
    /// Service classes beyond host (`--service-name`): NAME/FQDN and NAME/SHORT are registered too.
    public var serviceNames: [ServiceName] = []
    /// The `--service-name` SPNs an earlier join of this host added (its join record): those the target no
    /// longer has are removed where the account still holds them. SPNs an administrator added by hand are never in it.
    public var previouslyAddedServicePrincipals: [String] = []

    public init(
        domain: DomainName, computerName: ComputerName, hostFQDN: String, owner: AccountOwner?, organizationalUnit: String?,
        encryptionTypes: [EncryptionType] = [.aes256, .aes128], osRelease: OSRelease?, actor: String
    ) {
        self.domain = domain
        self.computerName = computerName
        self.hostFQDN = hostFQDN
        self.owner = owner
        self.organizationalUnit = organizationalUnit
        self.encryptionTypes = encryptionTypes
        self.osRelease = osRelease
        self.actor = actor
    }

    /// The account's SPNs, as Windows registers them (host/WEB1, host/web1.corp...).
    public var servicePrincipalNames: [String] {
        HostKeytab.servicePrincipalNames(computerName: computerName.value, hostFQDN: hostFQDN, services: serviceNames.map(\.value))
    }

    /// The SPNs of the `--service-name` classes alone: what adjoin manages beyond what every account has.
    public var serviceClassPrincipalNames: [String] {
        serviceNames.flatMap { $0.principalNames(computerName: computerName.value, hostFQDN: hostFQDN) }
    }
}

extension JoinRequest {
    /// The account this join makes or reuses, changed as the join user.
    var accountTarget: AccountTarget {
        var target = AccountTarget(
            domain: domain, computerName: computerName, hostFQDN: hostFQDN, owner: owner, organizationalUnit: organizationalUnit,
            encryptionTypes: encryptionTypes, osRelease: osRelease, actor: userPrincipal)
        target.serviceNames = serviceNames
        return target
    }
}
