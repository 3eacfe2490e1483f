import AdjoinCore
internal import CKerberos

extension KerberosContext {
    /// Changes `principal`'s password as the principal itself, with nothing but its keytab: an AS
    /// exchange with the keytab for a kadmin/changepw ticket (the kpasswd service accepts only initial
    /// tickets, so it must come from the AS exchange, not a TGS one), then the change-password request
    /// (RFC 3244) to the realm's kpasswd server, which this context's profile pins to the chosen DC.
    ///
    /// The AS exchange goes over `kdc` within `deadline`; the kpasswd exchange is libkrb5's own (UDP,
    /// then TCP, to port 464), bounded by its own retry timers.
    public func changePassword(_ principal: Principal, keytabPath: String, encryptionTypes: [EncryptionType], to newPassword: SecretBytes,
                               through kdc: KDCConnection, deadline: Deadline) throws(KerberosError) {
        let operation = "changing the password of \(principal.name)"
        let cache = try CredentialCache(context: self)
        let service = "kadmin/changepw@" + principal.realm
        try login(principal, keytabPath: keytabPath, encryptionTypes: encryptionTypes, service: service, into: cache, through: kdc, deadline: deadline)
        let server = try Principal(service, context: self)

        var wanted = krb5_creds()
        wanted.client = principal.raw
        wanted.server = server.raw
        var ticket = krb5_creds()
        try check(krb5_cc_retrieve_cred(raw, cache.raw, 0, &wanted, &ticket), "reading the kadmin/changepw ticket")
        defer { krb5_free_cred_contents(raw, &ticket) }

        var resultCode: Int32 = 0
        var codeText = krb5_data()
        var serverText = krb5_data()
        defer {
            krb5_free_data_contents(raw, &codeText)
            krb5_free_data_contents(raw, &serverText)
        }
        let status = newPassword.withCString { krb5_change_password(raw, &ticket, $0, &resultCode, &codeText, &serverText) }
        try check(status, operation)
        guard resultCode == KRB5_KPASSWD_SUCCESS else {
            // AD explains a refusal (password policy) in a binary block that krb5_chpw_message renders.
            var explained: UnsafeMutablePointer<CChar>? = nil
            var reason = ""
            if krb5_chpw_message(raw, &serverText, &explained) == 0, let explained {
                reason = String(cString: explained)
                krb5_free_string(raw, explained)
            }
            let code = String(decoding: UnsafeRawBufferPointer(start: codeText.data, count: Int(codeText.length)), as: UTF8.self)
            throw KerberosError(code: resultCode, message: "the kpasswd server refused: \(code)\(reason.isEmpty ? "" : " (\(reason))")",
                                operation: operation)
        }
    }
}

extension KerberosError {
    /// Result codes of a refused change (RFC 3244): small numbers, apart from libkrb5's com_err codes.
    public static let passwordChangeSoftError = Int32(KRB5_KPASSWD_SOFTERROR)
    public static let passwordChangeAccessDenied = Int32(KRB5_KPASSWD_ACCESSDENIED)
    public static let passwordChangeAuthError = Int32(KRB5_KPASSWD_AUTHERROR)
}
