import AdjoinCore
import Kerberos
import Synchronization
#if canImport(Glibc)
    import Glibc
#endif

/// What a password login to a DC named by its address can begin before the DC's CLDAP ping has
/// answered: the KDC's and LDAP's TCP handshakes, and the login's first request by UDP (whose answer
/// only names the salt). All of it is then in flight with the ping, and the login that follows sends
/// its pre-authenticated request at once. Used only by the session opened for the same address and
/// principal; whatever is not used is closed with it. (unchecked Sendable: it passes from `locate` to
/// `open` through HeadStarts' lock, and one thread at a time uses it.)
final class HeadStart: @unchecked Sendable {
    let address: SocketAddress
    let principal: String
    let kdc: KDCConnection
    private var ldap: Int32?

    /// nil when the first request cannot even be built (the login then reports why).
    init?(address: SocketAddress, realm: String, principal: String) {
        self.address = address
        self.principal = principal
        let host = address.family == .ipv6 ? "[\(address.host)]" : address.host
        kdc = KDCConnection(address: SocketAddress(family: address.family, addressBytes: address.addressBytes, port: 88), realm: realm)
        do {
            try GSSAPIConfiguration.prepareProcess()
            let context = try KerberosContext(profile: .pinned(realm: realm, kdc: host + ":88", kpasswdServer: host + ":464"))
            kdc.sendEarly(try context.firstRequest(Principal(principal, context: context)))
        } catch {
            return nil
        }
        ldap = try? TCPConnect.start(
            SocketAddress(family: address.family, addressBytes: address.addressBytes, port: 389),
            purpose: "LDAP on \(address.host)")
    }

    deinit {
        if let ldap { close(ldap) }
    }

    /// The LDAP connection begun, for the session to finish and own.
    func takeLDAP() -> Int32? {
        defer { ldap = nil }
        return ldap
    }

    func serves(_ controller: SocketAddress, _ principal: String) -> Bool {
        controller.addressBytes == address.addressBytes && controller.family == address.family && principal == self.principal
    }
}

/// The head start begun by `locate` and waiting for `open`, shared by the copies of one connector.
final class HeadStarts: Sendable {
    private let starts = Mutex<[HeadStart]>([])

    /// The newest replaces any earlier one, which an attempt that failed before its login left: those
    /// connections may have been closed by the DC since, and their sockets are closed now.
    func add(_ start: HeadStart) { starts.withLock { $0 = [start] } }

    /// The one for this DC and principal, taken out.
    func take(_ controller: SocketAddress, _ principal: String) -> HeadStart? {
        starts.withLock { starts in
            guard let index = starts.firstIndex(where: { $0.serves(controller, principal) }) else { return nil }
            return starts.remove(at: index)
        }
    }
}
