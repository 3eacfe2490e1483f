import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif
internal import CKerberos

/// What an AS exchange tells beyond the ticket it stored.
public struct InitialTicket: Sendable {
    /// The version of the client key that the KDC encrypted its reply with, which therefore decrypted
    /// it; nil when the KDC left it out of the reply.
    public let clientKeyVersion: UInt32?
}

extension KerberosContext {
    /// Logs `principal` in with a password, storing a ticket for `service` (e.g. "ldap/dc1.corp.example.com";
    /// nil: a TGT) in `cache`. A service asked for here comes in the AS exchange itself, with no TGS
    /// exchange after it. The first request carries no pre-authentication: the KDC's answer tells the
    /// salt, and guessing it would count a failed logon against the user wherever the guess is wrong
    /// (in a fleet booting at once, enough of them at the same moment to lock the join user out). That
    /// first request goes by UDP while the TCP handshake is under way (`KDCConnection.exchangeByDatagram`),
    /// or was sent earlier still (`KDCConnection.sendEarly`, `firstRequest`), so it costs no round trip
    /// of its own; where no UDP answer comes, it goes by TCP as before.
    ///
    /// libkrb5 copies a password it is given into the exchange's context, on its own heap, outside the
    /// pages SecretBytes keeps out of core dumps, and keeps that copy until the context is freed. So it
    /// gets the password only for the steps that read a KDC answer (where it derives the key, with the
    /// salt that answer names: local work, no waiting), and an empty one right after each, which makes
    /// it zero its copy: while the login waits on the network, the only copy is in `password`'s
    /// protected pages. `password` is wiped when the login is over, so that no copy of it is left.
    @discardableResult
    public func login(
        _ principal: Principal, password: SecretBytes, service: String? = nil, into cache: CredentialCache,
        through kdc: KDCConnection, deadline: Deadline
    ) throws(KerberosError) -> InitialTicket {
        defer { password.wipe() }
        return try initialCredentials(
            principal, service: service, optimistic: [], into: cache, through: kdc, deadline: deadline,
            "Kerberos login as \(principal.name)", setKey: { _ in 0 }
        ) { context, reading in
            // An empty password replaces (and zeroes) libkrb5's copy of the real one.
            reading
                ? password.withCString { krb5_init_creds_set_password(raw, context, $0) } : krb5_init_creds_set_password(raw, context, "")
        }
    }

    /// Logs `principal` in with its keys from a keytab file: the proof that a keytab works. `encryptionTypes`
    /// are the keytab's, strongest first. Its keys need no salt from the KDC, so the first request already
    /// carries an encrypted timestamp made with the first type's key (MIT's optimistic pre-authentication):
    /// a KDC that holds the same key answers with the ticket at once, one exchange instead of two.
    /// `service` as for a password login (nil: a TGT).
    @discardableResult
    public func login(
        _ principal: Principal, keytabPath: String, encryptionTypes: [EncryptionType], service: String? = nil,
        into cache: CredentialCache, through kdc: KDCConnection, deadline: Deadline
    ) throws(KerberosError) -> InitialTicket {
        var keytab: krb5_keytab? = nil
        try check(krb5_kt_resolve(raw, "FILE:" + keytabPath, &keytab), "opening keytab \(keytabPath)")
        defer { krb5_kt_close(raw, keytab) }
        return try initialCredentials(
            principal, service: service, optimistic: encryptionTypes, into: cache, through: kdc, deadline: deadline,
            "Kerberos login as \(principal.name) with keytab \(keytabPath)",
            setKey: { context in
                krb5_init_creds_set_keytab(raw, context, keytab)
            })
    }

    /// The AS exchange, step by step (krb5_init_creds_step), with every message carried over `kdc`.
    /// `optimistic`: request these encryption types, and send an encrypted timestamp with the first.
    private func initialCredentials(
        _ principal: Principal, service: String?, optimistic: [EncryptionType], into cache: CredentialCache,
        through kdc: KDCConnection, deadline: Deadline, _ operation: @autoclosure () -> String,
        setKey: (OpaquePointer?) -> krb5_error_code,
        aroundReply: (OpaquePointer?, Bool) -> krb5_error_code = { _, _ in 0 }
    ) throws(KerberosError) -> InitialTicket {
        var options: UnsafeMutablePointer<krb5_get_init_creds_opt>? = nil
        try check(krb5_get_init_creds_opt_alloc(raw, &options), "allocating login options")
        defer { krb5_get_init_creds_opt_free(raw, options) }
        try check(krb5_get_init_creds_opt_set_out_ccache(raw, options, cache.raw), "setting the credential cache")
        // libkrb5 keeps these two pointers, not copies, until the exchange is over.
        let types = UnsafeMutablePointer<krb5_enctype>.allocate(capacity: max(1, optimistic.count))
        defer { types.deallocate() }
        let preauth = UnsafeMutablePointer<krb5_preauthtype>.allocate(capacity: 1)
        defer { preauth.deallocate() }
        if !optimistic.isEmpty {
            for (index, type) in optimistic.enumerated() { types[index] = type.number }
            preauth.pointee = krb5_preauthtype(KRB5_PADATA_ENC_TIMESTAMP)
            krb5_get_init_creds_opt_set_etype_list(options, types, Int32(optimistic.count))
            krb5_get_init_creds_opt_set_preauth_list(options, preauth, 1)
        }

        var context: OpaquePointer? = nil
        try check(krb5_init_creds_init(raw, principal.raw, nil, nil, 0, options, &context), operation())
        defer { krb5_init_creds_free(raw, context) }
        if let service { try check(krb5_init_creds_set_service(raw, context, service), "asking for a ticket for \(service)") }
        try check(setKey(context), operation())

        var reply: [UInt8] = []
        var sent: [UInt8] = []
        // A password login's first answer only names the salt: it comes by UDP during the TCP handshake.
        var byDatagram = optimistic.isEmpty
        var cameByDatagram = false
        while true {
            var request = krb5_data()
            var realm = krb5_data()
            defer {
                krb5_free_data_contents(raw, &request)
                krb5_free_data_contents(raw, &realm)
            }
            var flags: UInt32 = 0
            // `aroundReply`: before a step that reads a KDC answer (true), and after it (false), whatever it returned.
            let reading = !reply.isEmpty
            if reading { try check(aroundReply(context, true), operation()) }
            let status = reply.withUnsafeBytes { bytes in
                var input = krb5_data.borrowing(bytes)
                return krb5_init_creds_step(raw, context, &input, &request, &realm, &flags)
            }
            let cleared = reading ? aroundReply(context, false) : 0
            if status == KRB5KRB_ERR_RESPONSE_TOO_BIG && cameByDatagram {
                // The KDC answered the UDP request with a reply too large for UDP (a user whose account
                // needs no pre-authentication gets its ticket at once): the same request again, by TCP.
                try check(cleared, operation())
                cameByDatagram = false
                reply = try kdc.exchange(sent, deadline: deadline)
                continue
            }
            if status != 0 { throw failure(status, reply: reply, operation()) }
            try check(cleared, operation())
            if flags & UInt32(KRB5_INIT_CREDS_STEP_FLAG_CONTINUE) == 0 { break }
            let realmName = String(decoding: realm.bytes, as: UTF8.self)
            guard realmName == kdc.realm else {
                throw KerberosError(
                    code: .realmUnresolvable,
                    message: "the login was referred to the realm \(realmName); only \(kdc.realm)'s domain controller is used",
                    operation: operation())
            }
            sent = request.bytes
            if byDatagram, kdc.hasEarlyRequest, let answer = kdc.earlyAnswer(deadline: deadline), demandsPreauthentication(answer) {
                // A head start asked for this login's salt before the DC was even chosen (see `firstRequest`):
                // its answer stands for this request's, which it equals but for the service asked for.
                reply = answer
                cameByDatagram = true
            } else if byDatagram, let answer = kdc.exchangeByDatagram(sent, deadline: deadline) {
                reply = answer
                cameByDatagram = true
            } else {
                reply = try kdc.exchange(sent, deadline: deadline)
                cameByDatagram = false
            }
            byDatagram = false
        }
        do {
            return InitialTicket(clientKeyVersion: try ASReply.clientKeyVersion(reply))
        } catch {
            throw KerberosError(
                code: KerberosCode(KRB5KRB_AP_ERR_MSG_TYPE), message: "cannot read the KDC's reply: \(error)", operation: operation())
        }
    }

    /// The first request of a password login of `principal` (for a TGT; no pre-authentication, no
    /// password needed), for a caller that sends it early by UDP (`KDCConnection.sendEarly`): the KDC's
    /// demand for pre-authentication in answer names the salt and the encryption types of the
    /// principal's keys, whatever service the login then asks for, so the login's own first request
    /// need not go out.
    public func firstRequest(_ principal: Principal) throws(KerberosError) -> [UInt8] {
        var context: OpaquePointer? = nil
        try check(krb5_init_creds_init(raw, principal.raw, nil, nil, 0, nil, &context), "preparing a Kerberos login as \(principal.name)")
        defer { krb5_init_creds_free(raw, context) }
        var empty = krb5_data()
        var request = krb5_data()
        var realm = krb5_data()
        var flags: UInt32 = 0
        defer {
            krb5_free_data_contents(raw, &request)
            krb5_free_data_contents(raw, &realm)
        }
        try check(krb5_init_creds_step(raw, context, &empty, &request, &realm, &flags), "preparing a Kerberos login as \(principal.name)")
        return request.bytes
    }

    /// Whether `reply` is a KRB-ERROR asking for pre-authentication (which carries the salt).
    func demandsPreauthentication(_ reply: [UInt8]) -> Bool {
        (try? KRBErrorMessage(reply, context: self))?.code == Int32(truncatingIfNeeded: KRB5KDC_ERR_PREAUTH_REQUIRED)
    }

    /// The step's error; a clock skew refusal carries both clocks, the KDC's from the KRB-ERROR it answered with.
    private func failure(_ status: krb5_error_code, reply: [UInt8], _ operation: String) -> KerberosError {
        var failure = error(status, operation)
        if failure.code == .clockSkew, !reply.isEmpty, let refusal = try? KRBErrorMessage(reply, context: self) {
            failure.clocks = ClockReadings(local: Int64(time(nil)), server: refusal.serverTime)
        }
        return failure
    }
}
