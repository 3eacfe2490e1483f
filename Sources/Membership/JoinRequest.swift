import AdjoinCore
import Kerberos

/// Everything a join needs, decided before any network traffic.
public struct JoinRequest: Sendable {
    public var domain: DomainName
    public var domainControllers: [HostPort] = []
    public var dnsServers: [SocketAddress] = []
    public var user: String
    public var password: SecretBytes
    /// DN of the OU for a new account; nil means the domain's well-known computers container.
    public var organizationalUnit: String?
    public var hostFQDN: String
    public var computerName: ComputerName
    public var owner: AccountOwner
    /// Who this host is (the instance id on EC2, the machine-id hash elsewhere), recorded in the join
    /// record so that a copy of the host can tell it is not this one. The owner, unless --owner chose another.
    public var identity: AccountOwner
    /// Host path of the keytab ("/etc/krb5.keytab"), under `files.root`.
    public var keytabPath = HostPath.defaultKeytab
    public var files: HostFiles = HostFiles()
    public var encryptionTypes: [EncryptionType] = [.aes256, .aes128]
    public var osRelease: OSRelease
    /// true: `password` is a one-time password an administrator (or a broker) set on the pre-created
    /// account, and `user` is the computer itself (NAME$); see OneTimePasswordJoin.
    public var oneTimePassword = false
    /// The password a one-time-password join changes the account to; nil: a random one made there. A host
    /// joining through the broker makes it itself and keeps a copy: an attempt that failed after the change
    /// leaves the account with this password, which the next attempt logs in with.
    public var changedPassword: SecretBytes?
    /// The SSM parameter the settings came from, if any: recorded so that leave can report to the
    /// same status table without being told.
    public var settingsParameter: String?
    /// Register the host's name (`hostFQDN`) in the domain's DNS with a secure dynamic update signed as
    /// the machine, once its keys are proven. Off unless asked (the agent's setting `registerDNS` is on by default).
    public var registerDNS = false
    /// The address to register; nil: the local address of the connection to the DC's DNS server.
    public var dnsAddress: SocketAddress?
    /// Where `dnsAddress` came from (recorded, so that a change can be told later).
    public var dnsAddressSource: HostAddressRecord.Source = .given
    /// Service classes beyond host (`--service-name`, `servicePrincipals`): NAME/FQDN and NAME/SHORT on
    /// the account and in the keytab, with the machine's keys.
    public var serviceNames: [ServiceName] = []

    public init(
        domain: DomainName, user: String, password: SecretBytes, hostFQDN: String,
        computerName: ComputerName, owner: AccountOwner, osRelease: OSRelease
    ) {
        self.domain = domain
        self.user = user
        self.password = password
        self.hostFQDN = hostFQDN
        self.computerName = computerName
        self.owner = owner
        self.identity = owner
        self.osRelease = osRelease
    }

    /// The join user as a principal name in the domain's realm: `adjoiner`, `CORP\adjoiner` and
    /// `adjoiner@corp.example.com` all mean adjoiner@CORP.EXAMPLE.COM.
    public var userPrincipal: String {
        JoinRequest.principal(of: user, realm: domain.realm)
    }

    /// A user name as people type it, as a principal of `realm`.
    public static func principal(of user: String, realm: String) -> String {
        var name = user
        if let backslash = name.lastIndex(of: "\\") { name = String(name[name.index(after: backslash)...]) }
        if let at = name.lastIndex(of: "@") {
            return String(name[..<at]) + "@" + name[name.index(after: at)...].uppercased()
        }
        return name + "@" + realm
    }

    /// The account's SPNs, as Windows registers them (host/WEB1, host/web1.corp...): registered on the
    /// computer object, and the same names get keys in the keytab.
    public var servicePrincipalNames: [String] {
        HostKeytab.servicePrincipalNames(computerName: computerName.value, hostFQDN: hostFQDN, services: serviceNames.map(\.value))
    }

    /// The SPNs of the `--service-name` classes alone (HTTP/web1, HTTP/web1.corp...).
    public var serviceClassPrincipalNames: [String] {
        serviceNames.flatMap { $0.principalNames(computerName: computerName.value, hostFQDN: hostFQDN) }
    }

    /// A join user's name as people type it, checked before it goes on the wire (join, leave); with the
    /// domain known, a `name@realm` must name its realm.
    public static func checkUser(_ user: String, domain: String?) throws(AdjoinError) {
        try InputNames.checkUser(user, domain: domain)
    }

    /// Checks what a person typed before anything goes on the wire.
    public func validate() throws(AdjoinError) {
        try Self.checkUser(user, domain: domain.value)
        if let ou = organizationalUnit { try InputNames.checkOrganizationalUnit(ou, domain: domain) }
        try InputNames.checkHostName(hostFQDN, domain: domain)
        guard keytabPath.hasPrefix("/"), (try? HostPath.normalized(keytabPath, flag: "--keytab")) == keytabPath else {
            throw .invalidInput("--keytab '\(keytabPath)' must be a normalised absolute path under --root, such as /etc/krb5.keytab")
        }
        // Kerberos takes the password as a C string: a NUL would silently cut it short.
        guard !password.containsNUL else { throw .invalidInput("the join password contains a NUL byte") }
    }
}

extension DomainName {
    /// The DN of the domain's naming context: DC=corp,DC=example,DC=com.
    public var baseDN: String {
        value.split(separator: ".").map { "DC=\($0)" }.joined(separator: ",")
    }
}

/// What a join did.
public struct JoinResult: Sendable {
    public var domain: String
    public var computerName: String
    public var computerDN: String
    public var domainController: String
    public var kvno: UInt32
    /// true when this join created the account, false when it reused one.
    public var created: Bool
    public var keytabPath: String
    public var encryptionTypes: [EncryptionType]
    /// true when the account existed and the host's keytab still logged in as it: no password was set.
    public var keysKept = false
    /// What the directory refused that the join could do without (informational attributes, the owner
    /// marker on a pre-staged account, the machine's right to delete its own account).
    public var warnings: [String] = []
    /// The address record registered in the domain's DNS (nil: not asked, or refused: see `warnings`).
    public var dnsRecord: HostAddressRecord?
    /// The join was told to keep Samba in step (recorded for rotate).
    public var updateSamba = false
    /// What was handed to Samba (nil: Samba is not a member of the realm, or was not to be told).
    public var sambaNote: String?
    /// Samba could not be given the new password: the join stands, and this is its outcome.
    public var sambaFailure: AdjoinError?
    /// The `--service-name` SPNs that adjoin added to the account (now or in an earlier join of this host)
    /// and the account holds: the ones a later join with another list, or a leave that keeps the account, removes.
    public var addedServicePrincipals: [String] = []
    /// The SPNs an earlier join added that this one removed (its list no longer names their class).
    public var removedServicePrincipals: [String] = []
}
