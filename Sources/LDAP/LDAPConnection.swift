import AdjoinCore
internal import CLDAP
internal import CLDAPShim
#if canImport(Glibc)
    import Glibc
#endif

/// One LDAP connection to one DC, bound with Kerberos (SASL GSSAPI) and sealed. Owns the LDAP handle
/// and, through it, the socket.
public final class LDAPConnection {
    let raw: OpaquePointer
    /// The DC's host name: the Kerberos service principal is ldap/<hostName>.
    public let hostName: String
    public let address: SocketAddress
    /// The negotiated SASL security strength factor: 0 means no protection, 56 and more sealing.
    public private(set) var securityStrength: UInt = 0
    /// The SASL mechanism of the bind: GSS-SPNEGO, or GSSAPI where that is missing.
    public private(set) var mechanism = ""

    /// Connects to `address` itself (so the DC stays the one discovery pinned, whatever DNS says) and
    /// names the server `hostName` for SASL.
    /// `begun`: a connection to `address` that TCPConnect.start began (its handshake overlapping other
    /// work), which this takes over, closing it on failure; nil: connect now.
    public init(address: SocketAddress, hostName: String, begun: Int32? = nil, deadline: Deadline) throws(AdjoinError) {
        do throws(AdjoinError) {
            try Self.loadLibrary()
        } catch {
            if let begun { close(begun) }
            throw error
        }
        let purpose = "LDAP on \(hostName)"
        let descriptor: Int32
        if let begun {
            descriptor = try TCPConnect.finish(begun, address, deadline: deadline, purpose: purpose)
        } else {
            descriptor = try TCPConnect.open(address, deadline: deadline, purpose: purpose)
        }
        var handle: OpaquePointer? = nil
        let url = "ldap://\(hostName):\(address.port)"
        let status = adjoin_ldap_open_fd(descriptor, url, &handle)
        guard status == LDAP_SUCCESS, let handle else {
            close(descriptor)
            throw .network("cannot set up LDAP to \(hostName): \(String(cString: adjoin_ldap_err2string(status)))")
        }
        raw = handle
        self.hostName = hostName
        self.address = address
    }

    /// libldap is loaded by soname on first use (OpenLDAP 2.6's, 2.5's or 2.4's, whichever the host has).
    static func loadLibrary() throws(AdjoinError) {
        var reason: UnsafePointer<CChar>? = nil
        guard adjoin_ldap_load(&reason) == LDAP_SUCCESS else {
            throw AdjoinError(
                .unknownError,
                "cannot use libldap (install the distribution's OpenLDAP "
                    + "client library: libldap2, libldap-2.5-0 or openldap): " + (reason.map { String(cString: $0) } ?? "unknown reason"))
        }
    }

    deinit {
        adjoin_ldap_unbind_ext_s(raw, nil, nil)
    }

    /// Kerberos SASL bind with the tickets in `credentialCacheName` (a MEMORY cache of this process),
    /// demanding sealing: AD then accepts password attributes, and DCs that require signing accept us.
    public func bindWithKerberos(credentialCacheName: String, deadline: Deadline) throws(LDAPError) {
        applyTimeout(deadline)
        var used: UnsafePointer<CChar>? = nil
        let status = adjoin_ldap_gssapi_bind(raw, credentialCacheName, 56, &used)
        mechanism = used.map { String(cString: $0) } ?? ""
        guard status == LDAP_SUCCESS else { throw error(status, "Kerberos (SASL \(mechanism)) bind to \(hostName)") }
        securityStrength = UInt(adjoin_ldap_sasl_ssf(raw))
    }

    func applyTimeout(_ deadline: Deadline) {
        _ = adjoin_ldap_set_timeout(raw, Int(deadline.remainingMilliseconds))
    }

    /// The code of the handle's last failure, for calls that report only -1.
    var resultCode: Int32 {
        var code = LDAP_OTHER
        adjoin_ldap_get_option(raw, LDAP_OPT_RESULT_CODE, &code)
        return code
    }

    func error(_ code: Int32, _ operation: String) -> LDAPError {
        let diagnostic = adjoin_ldap_diagnostic(raw)
        defer { if let diagnostic { adjoin_ldap_memfree(diagnostic) } }
        return LDAPError(
            code: LDAPResultCode(code), message: String(cString: adjoin_ldap_err2string(code)),
            diagnostic: diagnostic.map { String(cString: $0).trimmingCharacters(in: " \n\r\t\0") }, operation: operation)
    }
}

extension String {
    /// The string without leading and trailing characters from `set` (AD ends diagnostics with "\n\0").
    func trimmingCharacters(in set: String) -> String {
        let unwanted = Set(set.unicodeScalars)
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !unwanted.contains($0) }),
            let last = scalars.lastIndex(where: { !unwanted.contains($0) })
        else { return "" }
        return String(scalars[first...last])
    }
}
