import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif
internal import CKerberos
internal import CKerberosShim

/// A libkrb5 context built from an in-memory profile. Owns the krb5_context.
public final class KerberosContext {
    let raw: krb5_context

    public init(profile: KerberosProfile) throws(KerberosError) {
        guard let table = adjoin_profile_table_new() else {
            throw KerberosError(code: .outOfMemory, message: "out of memory", operation: "building the Kerberos profile")
        }
        for relation in profile.relations {
            var cStrings = relation.path.map { strdup($0) }
            defer { cStrings.forEach { free($0) } }
            let added = cStrings.withUnsafeMutableBufferPointer { buffer in
                buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) {
                    adjoin_profile_table_add(table, $0.baseAddress, Int32(relation.path.count), relation.value)
                }
            }
            if added != 0 {
                adjoin_profile_table_free(table)
                throw KerberosError(code: KerberosCode(added), message: "out of memory", operation: "building the Kerberos profile")
            }
        }
        var profileHandle: profile_t? = nil
        let created = adjoin_profile_from_table(table, &profileHandle)
        guard created == 0, let profileHandle else {
            throw KerberosError(
                code: KerberosCode(Int32(truncatingIfNeeded: created)), message: "profile_init_vtable failed",
                operation: "building the Kerberos profile")
        }
        defer { profile_release(profileHandle) }
        var context: krb5_context? = nil
        let status = krb5_init_context_profile(profileHandle, 0, &context)
        guard status == 0, let context else {
            throw KerberosError(
                code: KerberosCode(status), message: "krb5_init_context_profile failed (\(status))",
                operation: "creating a Kerberos context")
        }
        raw = context
    }

    deinit {
        krb5_free_context(raw)
    }

    /// How far this host's clock is ahead of the KDC's (negative: behind), in seconds, as libkrb5 measured it
    /// when a login's reply came (kdc_timesync, on by default); 0 before any login.
    public var clockOffset: Int64 {
        var seconds: krb5_timestamp = 0
        var microseconds: krb5_int32 = 0
        guard krb5_get_time_offsets(raw, &seconds, &microseconds) == 0 else { return 0 }
        // libkrb5 keeps the correction it adds to this host's time: the KDC's clock minus ours.
        return -Int64(seconds)
    }

    /// The library's own message for `code`, read now (it may describe the call that just failed).
    func error(_ code: krb5_error_code, _ operation: String) -> KerberosError {
        let text = krb5_get_error_message(raw, code)
        defer { krb5_free_error_message(raw, text) }
        return KerberosError(code: KerberosCode(code), message: text.map { String(cString: $0) } ?? "error \(code)", operation: operation)
    }

    func check(_ code: krb5_error_code, _ operation: @autoclosure () -> String) throws(KerberosError) {
        if code != 0 { throw error(code, operation()) }
    }
}
