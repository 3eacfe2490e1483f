import AdjoinCore
internal import CKerberos

/// A KRB-ERROR that a server sent instead of an answer (RFC 4120 5.9.1), decoded by libkrb5.
struct KRBErrorMessage {
    /// As libkrb5 numbers it: the protocol's error code plus its error table's base.
    let code: Int32
    /// The server's e-text, if any.
    let text: String
    let data: [UInt8]
    /// The server's clock when it wrote the error (stime), in seconds since 1970.
    let serverTime: Int64

    init(_ bytes: [UInt8], context: KerberosContext) throws(KerberosError) {
        var decoded: UnsafeMutablePointer<krb5_error>? = nil
        let status = bytes.withUnsafeBytes { buffer in
            var input = krb5_data.borrowing(buffer)
            return krb5_rd_error(context.raw, &input, &decoded)
        }
        try context.check(status, "decoding a KRB-ERROR")
        guard let decoded else { throw context.error(Int32(truncatingIfNeeded: KRB5KRB_ERR_GENERIC), "decoding a KRB-ERROR") }
        defer { krb5_free_error(context.raw, decoded) }
        let error = decoded.pointee
        // Protocol codes are small; anything else would not map to a com_err code.
        code =
            error.error < 128
            ? Int32(truncatingIfNeeded: ERROR_TABLE_BASE_krb5 + Int(error.error)) : Int32(truncatingIfNeeded: KRB5KRB_ERR_GENERIC)
        let text = error.text.bytes
        // The server's text goes into messages on a terminal: no control characters.
        self.text = String(
            String(decoding: text.prefix { $0 != 0 }, as: UTF8.self).unicodeScalars.map {
                $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0)
            })
        data = error.e_data.bytes
        serverTime = Int64(error.stime)
    }
}
