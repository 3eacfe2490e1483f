internal import CKerberos

/// A parsed principal name. Owns the krb5_principal.
public final class Principal {
    let context: KerberosContext
    let raw: krb5_principal

    public init(_ name: String, context: KerberosContext) throws(KerberosError) {
        self.context = context
        var parsed: krb5_principal? = nil
        try context.check(krb5_parse_name(context.raw, name, &parsed), "parsing principal \(name)")
        raw = parsed!
    }

    deinit {
        krb5_free_principal(context.raw, raw)
    }

    public var name: String {
        var text: UnsafeMutablePointer<CChar>? = nil
        guard krb5_unparse_name(context.raw, raw, &text) == 0, let text else { return "?" }
        defer { krb5_free_unparsed_name(context.raw, text) }
        return String(cString: text)
    }

    public var realm: String {
        let data = raw.pointee.realm
        return String(decoding: UnsafeRawBufferPointer(start: data.data, count: Int(data.length)), as: UTF8.self)
    }

    public var components: [String] {
        (0..<Int(raw.pointee.length)).map { index in
            let data = raw.pointee.data[index]
            return String(decoding: UnsafeRawBufferPointer(start: data.data, count: Int(data.length)), as: UTF8.self)
        }
    }
}
