import AdjoinCore
import Discovery
import Kerberos
import LDAP

/// What a join, leave or rotation asks of the directory once logged in: reads and writes over the one
/// sealed LDAP connection, logins and the password change at the same DC's KDC, and the local key
/// derivation those keys need. The narrowest seam that lets a join's undo and a rotation's recovery run
/// against a scripted directory: everything above it (what to write, the owner checks, the error
/// mapping, the keytab files) is the code that runs against a real DC.
public protocol Directory {
    var controller: DomainController { get }

    /// Several searches in one round trip; the entries of each, in the order asked.
    func search(_ requests: [LDAPSearchRequest], deadline: Deadline) throws(LDAPError) -> [[LDAPEntry]]
    /// The same, read in pages of `pageSize` (RFC 2696), for searches that may match more than a DC's
    /// MaxPageSize; `onPage` hears each page's entry count.
    func pagedSearch(
        _ requests: [LDAPSearchRequest], pageSize: Int, deadline: Deadline,
        onPage: (_ entries: Int) -> Void
    ) throws(LDAPError) -> [[LDAPEntry]]
    func add(_ dn: String, attributes: [LDAPAttribute], deadline: Deadline) throws(LDAPError)
    /// The add, and `request` right behind it in the same round trip where the connection allows: the
    /// search's entries, none where the server answered it before the add (the caller reads again then).
    func add(
        _ dn: String, attributes: [LDAPAttribute], thenSearch request: LDAPSearchRequest, deadline: Deadline
    ) throws(LDAPError) -> [LDAPEntry]
    /// `requests`, then the add with `request` behind it, all sent before any answer is read: one round
    /// trip for what `search` and `add(_:attributes:thenSearch:)` take two. Each answer on its own (see
    /// LDAPSearchesThenAdd); throws only when the searches could not be sent, and the add with them.
    func search(
        _ requests: [LDAPSearchRequest], thenAdd dn: String, attributes: [LDAPAttribute], thenSearch request: LDAPSearchRequest,
        deadline: Deadline
    ) throws(LDAPError) -> LDAPSearchesThenAdd
    func modify(_ dn: String, changes: [LDAPChange], securityDescriptorFlags: UInt8?, deadline: Deadline) throws(LDAPError)
    func delete(_ dn: String, tree: Bool, deadline: Deadline) throws(LDAPError)
    /// The modify sent now and its answer read by the `finish` it returns: work on the KDC's or the DNS
    /// server's connection goes on meanwhile.
    func beginModify(
        _ dn: String, changes: [LDAPChange], securityDescriptorFlags: UInt8?, deadline: Deadline
    ) throws(LDAPError) -> PendingModify

    /// A Kerberos login as `principal` with nothing but the keytab at `keytabPath`; the kvno of the key
    /// the DC's reply names, when it names one.
    /// `keepingTicketFor`: the same exchange also asks for a ticket to this service (e.g. "DNS/dc1..."), and
    /// the session keeps it for a later `updateDNS` signed as `principal`.
    func login(
        _ principal: String, keytabPath: String, encryptionTypes: [EncryptionType], keepingTicketFor service: String?,
        deadline: Deadline
    ) throws(KerberosError) -> UInt32?
    /// The GSS-TSIG key (TKEY) of the next `updateDNS` signed as `principal`, negotiated now so that the
    /// update then takes one round trip; a failure is kept for that update to report.
    func negotiateDNSUpdate(signedAs principal: String, keytabPath: String, encryptionTypes: [EncryptionType], deadline: Deadline)
    /// A secure dynamic update (GSS-TSIG) at the DC's DNS server, signed as `principal` with the keys in
    /// `keytabPath` (the key `negotiateDNSUpdate` made, else the ticket a keytab login of this session kept
    /// for DNS/<dc>, else one more login).
    func updateDNS(
        _ change: DNSChange, signedAs principal: String, keytabPath: String, encryptionTypes: [EncryptionType],
        deadline: Deadline
    ) throws(AdjoinError) -> DNSChangeResult
    /// The machine's own password change (RFC 3244) with a ticket from its keytab, at `kpasswd` or the DC's port 464.
    func changePassword(
        of principal: String, keytabPath: String, encryptionTypes: [EncryptionType], to newPassword: SecretBytes,
        kpasswd: SocketAddress?, deadline: Deadline) throws(KerberosError)
    /// The same change with the principal's current password (a one-time password an administrator set) instead of a keytab.
    func changePassword(
        of principal: String, password: SecretBytes, to newPassword: SecretBytes, kpasswd: SocketAddress?,
        deadline: Deadline) throws(KerberosError)
    /// A key from a password, as the KDC derives it (no I/O).
    func deriveKey(_ type: EncryptionType, password: SecretBytes, salt: String) throws(KerberosError) -> SecretBytes

    /// How far this host's clock is ahead of the DC's (negative: behind), in seconds, as measured at the login.
    var clockOffset: Int64 { get }

    /// The same login over a new LDAP connection, for when this one stopped answering.
    func reconnected(deadline: Deadline, progress: (String) -> Void) throws(AdjoinError) -> any Directory
}

/// A change sent whose answer is still to be read.
public struct PendingModify {
    public let finish: (Deadline) throws(LDAPError) -> Void

    public init(finish: @escaping (Deadline) throws(LDAPError) -> Void) {
        self.finish = finish
    }
}

extension Directory {
    /// The modify at once, for directories that cannot leave an answer for later.
    public func beginModify(
        _ dn: String, changes: [LDAPChange], securityDescriptorFlags: UInt8?,
        deadline: Deadline
    ) throws(LDAPError) -> PendingModify {
        try modify(dn, changes: changes, securityDescriptorFlags: securityDescriptorFlags, deadline: deadline)
        return PendingModify { _ throws(LDAPError) in }
    }

    /// Nothing ahead of time, for directories whose `updateDNS` negotiates its key itself.
    public func negotiateDNSUpdate(signedAs principal: String, keytabPath: String, encryptionTypes: [EncryptionType], deadline: Deadline) {}

    /// The add alone, for directories that cannot send both at once: no entries, so the caller reads them itself.
    public func add(
        _ dn: String, attributes: [LDAPAttribute], thenSearch request: LDAPSearchRequest,
        deadline: Deadline
    ) throws(LDAPError) -> [LDAPEntry] {
        try add(dn, attributes: attributes, deadline: deadline)
        return []
    }

    func login(
        _ principal: String, keytabPath: String, encryptionTypes: [EncryptionType], deadline: Deadline
    ) throws(KerberosError) -> UInt32? {
        try login(principal, keytabPath: keytabPath, encryptionTypes: encryptionTypes, keepingTicketFor: nil, deadline: deadline)
    }

    func search(base: String, scope: LDAPScope, filter: String, attributes: [String], deadline: Deadline) throws(LDAPError) -> [LDAPEntry] {
        try search([LDAPSearchRequest(base: base, scope: scope, filter: filter, attributes: attributes)], deadline: deadline)[0]
    }

    func modify(_ dn: String, changes: [LDAPChange], deadline: Deadline) throws(LDAPError) {
        try modify(dn, changes: changes, securityDescriptorFlags: nil, deadline: deadline)
    }
}

/// How the commands reach a domain: the DC locator, and a login that opens a `Directory` on the DC it chose.
public protocol DirectoryConnector: Sendable {
    /// A DC with every flag in `required`, from the DCs given, else from DNS.
    func locate(
        _ domain: DomainName, domainControllers: [HostPort], dnsServers: [SocketAddress], required: DCFlags,
        progress: @escaping ProgressSink, deadline: Deadline
    ) throws(AdjoinError) -> DomainController
    func open(
        realm: String, as credential: DirectoryCredential, controller: DomainController, deadline: Deadline,
        progress: (String) -> Void
    ) throws(AdjoinError) -> any Directory
    /// `locate`, with what the password login of `principal` to `domainControllers`' one address can
    /// begin while the DC answers its ping (see HeadStart); `open` then uses it.
    func locate(
        _ domain: DomainName, domainControllers: [HostPort], dnsServers: [SocketAddress], required: DCFlags,
        preparingLoginOf principal: String?, progress: @escaping ProgressSink, deadline: Deadline
    ) throws(AdjoinError) -> DomainController
}

extension DirectoryConnector {
    /// Nothing begun early: the login starts once the DC is chosen.
    public func locate(
        _ domain: DomainName, domainControllers: [HostPort], dnsServers: [SocketAddress], required: DCFlags,
        preparingLoginOf principal: String?, progress: @escaping ProgressSink,
        deadline: Deadline
    ) throws(AdjoinError) -> DomainController {
        try locate(
            domain, domainControllers: domainControllers, dnsServers: dnsServers, required: required, progress: progress, deadline: deadline
        )
    }
}

/// The real thing: the DC locator over DNS and CLDAP, and a Kerberos login with a sealed LDAP bind.
public struct LiveDirectoryConnector: DirectoryConnector {
    public var resolvers: any ResolverFactory
    private let headStarts = HeadStarts()

    public init(resolvers: any ResolverFactory = SystemResolvers()) {
        self.resolvers = resolvers
    }

    public func locate(
        _ domain: DomainName, domainControllers: [HostPort], dnsServers: [SocketAddress], required: DCFlags,
        progress: @escaping ProgressSink, deadline: Deadline
    ) throws(AdjoinError) -> DomainController {
        let locator = DomainControllerLocator(
            domain: domain, domainControllers: domainControllers, dnsServers: dnsServers,
            required: required, resolvers: resolvers, progress: progress)
        let controller = try locator.locate(deadline: deadline).controller
        progress("Using domain controller \(controller.hostName) (\(controller.address.host))")
        return controller
    }

    /// With one DC given by its address, the login's first steps go out with the ping.
    public func locate(
        _ domain: DomainName, domainControllers: [HostPort], dnsServers: [SocketAddress], required: DCFlags,
        preparingLoginOf principal: String?, progress: @escaping ProgressSink,
        deadline: Deadline
    ) throws(AdjoinError) -> DomainController {
        if let principal, domainControllers.count == 1, domainControllers[0].port == nil,
            let address = SocketAddress(numericHost: domainControllers[0].host, port: 0),
            let start = HeadStart(address: address, realm: domain.realm, principal: principal)
        {
            headStarts.add(start)
        }
        return try locate(
            domain, domainControllers: domainControllers, dnsServers: dnsServers, required: required, progress: progress,
            deadline: deadline)
    }

    public func open(
        realm: String, as credential: DirectoryCredential, controller: DomainController, deadline: Deadline,
        progress: (String) -> Void
    ) throws(AdjoinError) -> any Directory {
        try DirectorySession.open(
            realm: realm, as: credential, controller: controller, deadline: deadline, progress: progress,
            headStart: headStarts.take(controller.address, credential.principal))
    }
}

extension DirectoryConnector {
    /// The join user's login, for a join.
    func open(
        _ request: JoinRequest, controller: DomainController, deadline: Deadline,
        progress: (String) -> Void
    ) throws(AdjoinError) -> any Directory {
        try open(
            realm: request.domain.realm, as: .password(principal: request.userPrincipal, request.password),
            controller: controller, deadline: deadline, progress: progress)
    }
}
