import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif
import DNS
import Discovery
import Kerberos
import LDAP

/// Who a directory session logs in as: the join user with a password, or the machine with its keytab.
public enum DirectoryCredential {
    case password(principal: String, SecretBytes)
    case keytab(principal: String, path: String, encryptionTypes: [EncryptionType])

    public var principal: String {
        switch self {
        case .password(let principal, _), .keytab(let principal, _, _): principal
        }
    }
}

/// A Kerberos login (the join user's, or the machine's) and the one sealed LDAP connection, both
/// pinned to the chosen DC.
struct DirectorySession {
    let context: KerberosContext
    /// Kept for the session's life: the bind took its tickets from this MEMORY cache.
    let cache: CredentialCache
    /// The one connection to the KDC, kept for the keytab's proof.
    let kdc: KDCConnection
    let ldap: LDAPConnection
    let controller: DomainController
    /// Tickets a keytab login kept for a later use (the DNS update's), by principal and service.
    var keptTickets = KeptTickets()

    /// `headStart`: the connections and first request that locate began for this DC and principal.
    static func open(
        realm: String, as credential: DirectoryCredential, controller: DomainController, deadline: Deadline,
        progress: (String) -> Void, headStart: HeadStart? = nil
    ) throws(AdjoinError) -> DirectorySession {
        let kdcHost = controller.address.family == .ipv6 ? "[\(controller.address.host)]" : controller.address.host
        let profile = KerberosProfile.pinned(realm: realm, kdc: kdcHost + ":88", kpasswdServer: kdcHost + ":464")
        // A no-op after the first call: adjoin sets GSSAPI up at start; in-process callers (the tests) here.
        try GSSAPIConfiguration.prepareProcess()
        let context: KerberosContext
        let cache: CredentialCache
        let kdc =
            headStart?.kdc
            ?? KDCConnection(
                address: SocketAddress(family: controller.address.family, addressBytes: controller.address.addressBytes, port: 88),
                realm: realm)
        // Both handshakes go out now and overlap the login (whose first request goes by UDP meanwhile):
        // the login and the bind then find their connections made, one round trip for the three.
        kdc.begin()
        let ldapAddress = SocketAddress(family: controller.address.family, addressBytes: controller.address.addressBytes, port: 389)
        var ldapBegun = headStart?.takeLDAP() ?? (try? TCPConnect.start(ldapAddress, purpose: "LDAP on \(controller.hostName)"))
        defer { if let ldapBegun { close(ldapBegun) } }
        do {
            context = try KerberosContext(profile: profile)
            cache = try CredentialCache(context: context)
            // The LDAP service ticket straight from the AS exchange: the bind needs no TGT, and a TGS exchange would cost a round trip.
            let service = "ldap/\(controller.hostName)"
            switch credential {
            case .password(let principal, let password):
                progress("Logging in to Kerberos as \(principal) at \(controller.hostName)")
                try context.login(
                    Principal(principal, context: context), password: password, service: service,
                    into: cache, through: kdc, deadline: deadline)
            case .keytab(let principal, let path, let types):
                progress("Logging in to Kerberos as \(principal) with the keytab \(path) at \(controller.hostName)")
                try context.login(
                    Principal(principal, context: context), keytabPath: path, encryptionTypes: types, service: service,
                    into: cache, through: kdc, deadline: deadline)
            }
        } catch {
            if case .keytab(let principal, let path, _) = credential {
                throw JoinFailure.machineLogin(error, principal: principal, keytab: path, deadline: deadline)
            }
            throw error.adjoinError(deadline: deadline)
        }
        let begun = ldapBegun
        ldapBegun = nil
        let ldap = try bind(controller, cache: cache, begun: begun, deadline: deadline, progress: progress)
        return DirectorySession(context: context, cache: cache, kdc: kdc, ldap: ldap, controller: controller)
    }

    /// The same login over a new LDAP connection, for when this one stopped answering: the bind takes
    /// its ticket from the session's cache, so no password is needed again.
    func reconnected(deadline: Deadline, progress: (String) -> Void) throws(AdjoinError) -> any Directory {
        DirectorySession(
            context: context, cache: cache, kdc: kdc, ldap: try Self.bind(controller, cache: cache, deadline: deadline, progress: progress),
            controller: controller, keptTickets: keptTickets)
    }

    /// `begun`: the connection's handshake, begun earlier (see `open`); taken over.
    private static func bind(
        _ controller: DomainController, cache: CredentialCache, begun: Int32? = nil, deadline: Deadline,
        progress: (String) -> Void
    ) throws(AdjoinError) -> LDAPConnection {
        progress("Binding to LDAP on \(controller.hostName) (\(controller.address.host)) with Kerberos, sealed")
        let ldap = try LDAPConnection(
            address: SocketAddress(
                family: controller.address.family,
                addressBytes: controller.address.addressBytes, port: 389),
            hostName: controller.hostName, begun: begun, deadline: deadline)
        do {
            try ldap.bindWithKerberos(credentialCacheName: cache.name, deadline: deadline)
        } catch {
            throw error.adjoinError(deadline: deadline)
        }
        progress("Bound with SASL \(ldap.mechanism), security strength \(ldap.securityStrength)")
        guard ldap.securityStrength >= 56 else {
            throw AdjoinError(
                .networkError,
                "the LDAP connection to \(controller.hostName) is not sealed (SSF \(ldap.securityStrength)); refusing to send a password over it"
            )
        }
        return ldap
    }
}

extension DirectorySession: Directory {
    var clockOffset: Int64 { context.clockOffset }

    func search(_ requests: [LDAPSearchRequest], deadline: Deadline) throws(LDAPError) -> [[LDAPEntry]] {
        try ldap.search(requests, deadline: deadline)
    }

    func pagedSearch(
        _ requests: [LDAPSearchRequest], pageSize: Int, deadline: Deadline,
        onPage: (_ entries: Int) -> Void
    ) throws(LDAPError) -> [[LDAPEntry]] {
        try ldap.pagedSearch(requests, pageSize: pageSize, deadline: deadline, onPage: onPage)
    }

    func add(_ dn: String, attributes: [LDAPAttribute], deadline: Deadline) throws(LDAPError) {
        try ldap.add(dn, attributes: attributes, deadline: deadline)
    }

    func add(
        _ dn: String, attributes: [LDAPAttribute], thenSearch request: LDAPSearchRequest,
        deadline: Deadline
    ) throws(LDAPError) -> [LDAPEntry] {
        try ldap.add(dn, attributes: attributes, thenSearch: request, deadline: deadline)
    }

    func search(
        _ requests: [LDAPSearchRequest], thenAdd dn: String, attributes: [LDAPAttribute], thenSearch request: LDAPSearchRequest,
        deadline: Deadline
    ) throws(LDAPError) -> LDAPSearchesThenAdd {
        try ldap.search(requests, thenAdd: dn, attributes: attributes, thenSearch: request, deadline: deadline)
    }

    func modify(_ dn: String, changes: [LDAPChange], securityDescriptorFlags: UInt8?, deadline: Deadline) throws(LDAPError) {
        try ldap.modify(dn, changes: changes, securityDescriptorFlags: securityDescriptorFlags, deadline: deadline)
    }

    func delete(_ dn: String, tree: Bool, deadline: Deadline) throws(LDAPError) {
        try ldap.delete(dn, tree: tree, deadline: deadline)
    }

    func beginModify(
        _ dn: String, changes: [LDAPChange], securityDescriptorFlags: UInt8?, deadline: Deadline
    ) throws(LDAPError) -> PendingModify {
        let sent = try ldap.beginModify(dn, changes: changes, securityDescriptorFlags: securityDescriptorFlags, deadline: deadline)
        return PendingModify { [ldap] deadline throws(LDAPError) in try ldap.finish(sent, deadline: deadline) }
    }

    func login(
        _ principal: String, keytabPath: String, encryptionTypes: [EncryptionType], keepingTicketFor service: String?,
        deadline: Deadline
    ) throws(KerberosError) -> UInt32? {
        let cache = try CredentialCache(context: context)
        if let service, service.hasPrefix("DNS/"), keptTickets.dnsStream == nil {
            // Its handshake overlaps the Kerberos exchange; a failure here is the update's to report.
            keptTickets.dnsStream = try? DNSStream(connecting: dnsServer)
        }
        let version = try context.login(
            Principal(principal, context: context), keytabPath: keytabPath, encryptionTypes: encryptionTypes,
            service: service, into: cache, through: kdc, deadline: deadline
        ).clientKeyVersion
        if let service { keptTickets.caches[KeptTickets.key(principal, service)] = cache }
        return version
    }

    private var dnsServer: SocketAddress {
        SocketAddress(family: controller.address.family, addressBytes: controller.address.addressBytes, port: 53)
    }

    func negotiateDNSUpdate(signedAs principal: String, keytabPath: String, encryptionTypes: [EncryptionType], deadline: Deadline) {
        let negotiated: Result<SecureDNSUpdate, AdjoinError>
        do {
            negotiated = .success(
                try negotiate(signedAs: principal, keytabPath: keytabPath, encryptionTypes: encryptionTypes, deadline: deadline))
        } catch {
            negotiated = .failure(error)
        }
        keptTickets.negotiated[principal.lowercased()] = negotiated
    }

    /// A GSS-TSIG key at the DC's DNS server for updates signed as `principal`, over a connection of its own.
    private func negotiate(
        signedAs principal: String, keytabPath: String, encryptionTypes: [EncryptionType],
        deadline: Deadline
    ) throws(AdjoinError) -> SecureDNSUpdate {
        let service = "DNS/\(controller.hostName)"
        var cache = keptTickets.caches[KeptTickets.key(principal, service)]
        if cache == nil {
            do {
                _ = try login(
                    principal, keytabPath: keytabPath, encryptionTypes: encryptionTypes, keepingTicketFor: service, deadline: deadline)
            } catch {
                throw JoinFailure.machineLogin(error, principal: principal, keytab: keytabPath, deadline: deadline)
            }
            cache = keptTickets.caches[KeptTickets.key(principal, service)]
        }
        guard let cache else { throw AdjoinError(.unknownError, "no ticket for \(service) after the login") }
        let stream: DNSStream
        if let begun = keptTickets.dnsStream {
            keptTickets.dnsStream = nil
            stream = begun
        } else {
            stream = try DNSStream(dnsServer, deadline: deadline)
        }
        let exchange = try SecureDNSUpdate(stream: stream, credentialCacheName: cache.name, controller: controller, realm: kdc.realm)
        try exchange.negotiate(deadline: deadline)
        return exchange
    }

    func updateDNS(
        _ change: DNSChange, signedAs principal: String, keytabPath: String, encryptionTypes: [EncryptionType],
        deadline: Deadline
    ) throws(AdjoinError) -> DNSChangeResult {
        let server = dnsServer
        // Whether the DC holds the address's reverse zone, asked over UDP now and read after the A
        // record's update: no round trip of its own. The route's address stands in for the connection's.
        var reverseQuery: DNSDatagramQuery?
        var expected: SocketAddress?
        if case .register(_, _, let given) = change, let early = given ?? DNSStream.localAddress(toward: server) {
            expected = early
            reverseQuery = DNSDatagramQuery(server, name: DNSUpdate.reverseName(of: early), type: DNSType.soa)
        }
        // The key negotiated ahead (a join's, during its other work) is used once; a later update negotiates its own.
        let exchange: SecureDNSUpdate
        if let negotiated = keptTickets.negotiated.removeValue(forKey: principal.lowercased()) {
            exchange = try negotiated.get()
        } else {
            exchange = try negotiate(signedAs: principal, keytabPath: keytabPath, encryptionTypes: encryptionTypes, deadline: deadline)
        }
        let stream = exchange.stream
        let address: SocketAddress
        switch change {
        case .register(_, _, let given?), .remove(_, _, let given, _):
            address = given
        case .register(_, _, nil):
            guard let local = stream.localAddress else { throw .network("cannot read this host's address on the connection to \(server)") }
            address = local
        }
        let (rcode, verified) = try exchange.send(change.update(address: address), deadline: deadline)
        var answer = DNSUpdateAnswer(rcode: rcode, signatureVerified: verified, addressesAfter: nil)
        if !verified {
            answer.addressesAfter = try? exchange.addresses(of: change.name, family: address.family, deadline: deadline)
        }
        var result = DNSChangeResult(
            address: SocketAddress(family: address.family, addressBytes: address.addressBytes, port: 0), answer: answer)
        guard result.succeeded(change) else { return result }
        let reverseName = DNSUpdate.reverseName(of: address)
        var pointer: DNSUpdate
        switch change {
        case .register(let name, _, _):
            // The UDP answer has had the update's round trip to come; a lost one means no PTR this time.
            guard let reverseQuery, expected?.addressBytes == address.addressBytes,
                let zone = reverseQuery.answer(deadline: deadline.remaining > .seconds(1) ? Deadline(seconds: 1) : deadline)?
                    .authoritativeZone(for: reverseName)
            else { return result }
            pointer = DNSUpdate(zone: zone)
            pointer.deleteAll(DNSType.ptr, at: reverseName)
            do { try pointer.addPointer(reverseName, to: name, ttl: DNSChange.ttl) } catch { return result }
        case .remove(let name, _, _, let zone?):
            pointer = DNSUpdate(zone: zone)
            do { try pointer.deletePointer(reverseName, to: name) } catch { return result }
        case .remove(_, _, _, nil):
            return result
        }
        do {
            let (rcode, verified) = try exchange.send(pointer, deadline: deadline)
            if rcode == .noError && verified {
                result.reverseZone = pointer.zone
            } else {
                result.pointerProblem =
                    "the DNS server on \(controller.hostName) answered \(rcode)\(verified ? "" : " (unsigned or not checked)") to the PTR record \(reverseName) in \(pointer.zone)"
            }
        } catch {
            result.pointerProblem = "the PTR record \(reverseName) in \(pointer.zone): \(error.message)"
        }
        return result
    }

    func changePassword(
        of principal: String, keytabPath: String, encryptionTypes: [EncryptionType], to newPassword: SecretBytes,
        kpasswd: SocketAddress?, deadline: Deadline
    ) throws(KerberosError) {
        try context.changePassword(
            Principal(principal, context: context), keytabPath: keytabPath, encryptionTypes: encryptionTypes,
            to: newPassword, through: kdc, kpasswd: kpasswdServer(kpasswd), deadline: deadline)
    }

    /// `kpasswd` when given, else the DC's port 464.
    private func kpasswdServer(_ kpasswd: SocketAddress?) -> KDCConnection {
        kpasswd.map { KDCConnection(kpasswdAt: $0, port: $0.port, realm: kdc.realm) }
            ?? KDCConnection(kpasswdAt: controller.address, realm: kdc.realm)
    }

    func changePassword(
        of principal: String, password: SecretBytes, to newPassword: SecretBytes, kpasswd: SocketAddress?,
        deadline: Deadline
    ) throws(KerberosError) {
        try context.changePassword(
            Principal(principal, context: context), password: password, to: newPassword, through: kdc,
            kpasswd: kpasswdServer(kpasswd), deadline: deadline)
    }

    func deriveKey(_ type: EncryptionType, password: SecretBytes, salt: String) throws(KerberosError) -> SecretBytes {
        try context.deriveKey(type, password: password, salt: salt)
    }
}

/// Credential caches kept by a session for a later step: the join's keytab proof asks for the DNS/
/// ticket in its own exchange, and the registration that follows uses it without another round trip.
final class KeptTickets {
    var caches: [String: CredentialCache] = [:]
    /// The connection to the DC's DNS server, begun with the login that fetched the update's ticket.
    var dnsStream: DNSStream?
    /// GSS-TSIG keys negotiated ahead of their update (or why not), by principal.
    var negotiated: [String: Result<SecureDNSUpdate, AdjoinError>] = [:]

    static func key(_ principal: String, _ service: String) -> String { principal.lowercased() + " " + service.lowercased() }
}

/// A machine login's failures, told apart from the join user's (KerberosError.adjoinError maps the rest).
enum JoinFailure {
    /// A login with the machine's keytab: an unknown client means the account is gone, rejected keys a
    /// keytab that no longer matches the account.
    static func machineLogin(_ error: KerberosError, principal: String, keytab: String, deadline: Deadline) -> AdjoinError {
        if error.code == .clientUnknown {
            return AdjoinError(.accountMissing, "the DC does not know \(principal): its computer account is gone (\(error.message))")
        }
        if error.isKeytabFailure {
            return AdjoinError(.keytabInvalid, "the keytab \(keytab) has no usable key for \(principal): \(error.message)")
        }
        if error.isAuthenticationFailure {
            return AdjoinError(
                .keytabInvalid,
                "the DC rejects the keys in \(keytab) for \(principal) (was the account's password reset elsewhere?): \(error.message)")
        }
        return error.adjoinError(deadline: deadline)
    }

}
