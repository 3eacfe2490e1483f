import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif
internal import CKerberos

/// The state one client keeps while it talks to one Kerberos service with KRB-PRIV messages (RFC 4120
/// 3.2, 3.5): the subkey its AP-REQ chose, the sequence numbers, its own address. Owns the
/// krb5_auth_context.
final class AuthenticationContext {
    let context: KerberosContext
    let raw: krb5_auth_context

    /// Messages carry sequence numbers rather than timestamps, as RFC 3244 asks: the AP-REQ's
    /// authenticator then names the first one, and no replay cache is needed on this side.
    init(context: KerberosContext) throws(KerberosError) {
        self.context = context
        var created: krb5_auth_context? = nil
        try context.check(krb5_auth_con_init(context.raw, &created), "creating an authentication context")
        raw = created!
        try context.check(krb5_auth_con_setflags(context.raw, raw, Int32(KRB5_AUTH_CONTEXT_DO_SEQUENCE)), "asking for sequence numbers")
    }

    deinit {
        krb5_auth_con_free(context.raw, raw)
    }

    /// A KRB-PRIV names its sender's address (krb5_mk_priv refuses to go without one).
    func setLocalAddress(_ address: SocketAddress) throws(KerberosError) {
        var bytes = address.addressBytes
        let status = bytes.withUnsafeMutableBufferPointer { buffer in
            var local = krb5_address(
                magic: 0, addrtype: address.family == .ipv4 ? ADDRTYPE_INET : ADDRTYPE_INET6,
                length: UInt32(buffer.count), contents: buffer.baseAddress)
            return krb5_auth_con_setaddrs(context.raw, raw, &local, nil)
        }
        try context.check(status, "setting the local address \(address.host)")
    }

    /// An AP-REQ for `ticket` whose authenticator carries a new subkey: what the service's KRB-PRIV
    /// messages are then sealed with.
    func request(for ticket: ServiceTicket) throws(KerberosError) -> [UInt8] {
        var context = raw as krb5_auth_context?
        var output = krb5_data()
        try self.context.check(
            krb5_mk_req_extended(self.context.raw, &context, AP_OPTS_USE_SUBKEY, nil, &ticket.raw, &output),
            "building the AP-REQ")
        defer { krb5_free_data_contents(self.context.raw, &output) }
        return output.bytes
    }

    /// A KRB-PRIV with `secret` as its user data. The secret is read in place; libkrb5's copies of it
    /// are its own to wipe, and what comes back is encrypted.
    func seal(_ secret: SecretBytes) throws(KerberosError) -> [UInt8] {
        var output = krb5_data()
        let status = secret.withUnsafeBytes { bytes in
            var input = krb5_data.borrowing(bytes)
            return krb5_mk_priv(context.raw, raw, &input, &output, nil)
        }
        try context.check(status, "sealing the KRB-PRIV")
        defer { Self.free(&output, context) }
        return output.bytes
    }

    /// Checks the service's AP-REP (it proves the service read our AP-REQ, and names its first
    /// sequence number).
    func readReply(_ apRep: [UInt8]) throws(KerberosError) {
        var part: UnsafeMutablePointer<krb5_ap_rep_enc_part>? = nil
        let status = apRep.withUnsafeBytes { bytes in
            var input = krb5_data.borrowing(bytes)
            return krb5_rd_rep(context.raw, raw, &input, &part)
        }
        try context.check(status, "reading the AP-REP")
        krb5_free_ap_rep_enc_part(context.raw, part)
    }

    /// The user data of the service's KRB-PRIV, after its checksum and sequence number are checked.
    func open(_ priv: [UInt8]) throws(KerberosError) -> [UInt8] {
        var output = krb5_data()
        let status = priv.withUnsafeBytes { bytes in
            var input = krb5_data.borrowing(bytes)
            return krb5_rd_priv(context.raw, raw, &input, &output, nil)
        }
        try context.check(status, "reading the KRB-PRIV")
        defer { Self.free(&output, context) }
        return output.bytes
    }

    /// Zeroed before it is freed: cheap, and libkrb5's buffers here held (sealed) secrets.
    private static func free(_ data: inout krb5_data, _ context: KerberosContext) {
        if let bytes = data.data { explicit_bzero(bytes, Int(data.length)) }
        krb5_free_data_contents(context.raw, &data)
    }
}
