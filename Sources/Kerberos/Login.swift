import AdjoinCore
internal import CKerberos

extension KerberosContext {
    /// Gets a TGT for `principal` with a password into `cache` (AS exchange with pre-authentication).
    public func login(_ principal: Principal, password: SecretBytes, into cache: CredentialCache) throws(KerberosError) {
        try initialCredentials(principal, into: cache, "Kerberos login as \(principal.name)") { credentials, options in
            password.withCString { password in
                krb5_get_init_creds_password(raw, &credentials, principal.raw, password, nil, nil, 0, nil, options)
            }
        }
    }

    /// Gets a TGT for `principal` with its keys from a keytab file: the proof that a keytab works.
    public func login(_ principal: Principal, keytabPath: String, into cache: CredentialCache) throws(KerberosError) {
        var keytab: krb5_keytab? = nil
        try check(krb5_kt_resolve(raw, "FILE:" + keytabPath, &keytab), "opening keytab \(keytabPath)")
        defer { krb5_kt_close(raw, keytab) }
        try initialCredentials(principal, into: cache, "Kerberos login as \(principal.name) with keytab \(keytabPath)") { credentials, options in
            krb5_get_init_creds_keytab(raw, &credentials, principal.raw, keytab, 0, nil, options)
        }
    }

    /// The AS exchange around `exchange`: options that store the TGT in `cache`, and the credentials freed.
    private func initialCredentials(_ principal: Principal, into cache: CredentialCache, _ operation: @autoclosure () -> String,
                                    _ exchange: (inout krb5_creds, UnsafeMutablePointer<krb5_get_init_creds_opt>?) -> krb5_error_code) throws(KerberosError) {
        var options: UnsafeMutablePointer<krb5_get_init_creds_opt>? = nil
        try check(krb5_get_init_creds_opt_alloc(raw, &options), "allocating login options")
        defer { krb5_get_init_creds_opt_free(raw, options) }
        try check(krb5_cc_initialize(raw, cache.raw, principal.raw), "initialising the credential cache")
        try check(krb5_get_init_creds_opt_set_out_ccache(raw, options, cache.raw), "setting the credential cache")
        var credentials = krb5_creds()
        try check(exchange(&credentials, options), operation())
        krb5_free_cred_contents(raw, &credentials)
    }

    /// Gets a service ticket into `cache` (TGS exchange), so that GSSAPI finds it there and needs no KDC.
    public func serviceTicket(for server: Principal, cache: CredentialCache) throws(KerberosError) {
        var client: krb5_principal? = nil
        try check(krb5_cc_get_principal(raw, cache.raw, &client), "reading the credential cache")
        defer { krb5_free_principal(raw, client) }
        var request = krb5_creds()
        request.client = client
        request.server = server.raw
        var obtained: UnsafeMutablePointer<krb5_creds>? = nil
        try check(krb5_get_credentials(raw, 0, cache.raw, &request, &obtained), "getting a ticket for \(server.name)")
        krb5_free_creds(raw, obtained)
    }
}
