internal import CKerberos

/// A credential cache that lives in this process's memory only (no file under /tmp), destroyed when
/// released. Owns the krb5_ccache.
public final class CredentialCache {
    let context: KerberosContext
    let raw: krb5_ccache

    public init(context: KerberosContext) throws(KerberosError) {
        self.context = context
        var cache: krb5_ccache? = nil
        try context.check(krb5_cc_new_unique(context.raw, "MEMORY", nil, &cache), "creating an in-memory credential cache")
        raw = cache!
    }

    deinit {
        krb5_cc_destroy(context.raw, raw)
    }

    /// "MEMORY:…", for GSSAPI in the same process.
    public var name: String {
        var full: UnsafeMutablePointer<CChar>? = nil
        guard krb5_cc_get_full_name(context.raw, raw, &full) == 0, let full else { return "" }
        defer { krb5_free_string(context.raw, full) }
        return String(cString: full)
    }
}
