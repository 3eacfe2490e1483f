import AdjoinCore
internal import CKerberos
internal import CKerberosShim

/// A GSS-API security context, initiator side, over SPNEGO with Kerberos (RFC 4178, RFC 4121), as a
/// GSS-TSIG client needs it (RFC 3645): tokens to carry to the server, then MICs over messages.
/// Owns the context, the target name and the credentials, released in deinit.
///
/// The credentials are the tickets in one MEMORY cache (`CredentialCache.name`): a login asked the
/// KDC for the target's ticket, so GSSAPI needs no TGT and no KDC (it reads no krb5.conf: see
/// GSSAPIConfiguration). Mutual authentication, replay detection and integrity are asked for, as
/// RFC 3645 3.1.1 requires.
public final class SecurityContext {
    private var context: gss_ctx_id_t? = nil
    private var credentials: gss_cred_id_t? = nil
    private var target: gss_name_t? = nil
    /// The server accepted and (mutual authentication) proved itself: MICs can be made and checked.
    public private(set) var isComplete = false
    private let targetName: String

    /// `target`: the service principal, e.g. "DNS/dc1.corp.example.com@CORP.EXAMPLE.COM".
    public init(credentialCacheName: String, target: String) throws(KerberosError) {
        targetName = target
        do {
            try GSSAPIConfiguration.prepareProcess()
        } catch {
            throw KerberosError(code: .outOfMemory, message: error.message, operation: "preparing GSSAPI")
        }
        var minor: OM_uint32 = 0
        var major = adjoin_gss_credentials_from_ccache(&minor, credentialCacheName, &credentials)
        try check(major, minor, "reading the machine's tickets for \(target)")
        var buffer = Array(target.utf8)
        major = buffer.withUnsafeMutableBytes { bytes in
            var name = gss_buffer_desc(length: bytes.count, value: bytes.baseAddress)
            return gss_import_name(&minor, &name, adjoin_gss_krb5_principal_name_type(), &self.target)
        }
        try check(major, minor, "naming \(target)")
    }

    deinit {
        var minor: OM_uint32 = 0
        if context != nil { gss_delete_sec_context(&minor, &context, nil) }
        if credentials != nil { gss_release_cred(&minor, &credentials) }
        if target != nil { gss_release_name(&minor, &target) }
    }

    /// One step of the negotiation: the server's last token in (nil at first), the token to send
    /// out (empty when there is none). `isComplete` tells whether the server needs to hear again.
    public func step(_ input: [UInt8]?) throws(KerberosError) -> [UInt8] {
        guard !isComplete else { return [] }
        var minor: OM_uint32 = 0
        var output = gss_buffer_desc()
        var inputBytes = input ?? []
        let flags = OM_uint32(GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_INTEG_FLAG)
        let major = inputBytes.withUnsafeMutableBytes { bytes in
            var token = gss_buffer_desc(length: bytes.count, value: bytes.baseAddress)
            return withUnsafeMutablePointer(to: &token) { tokenPointer in
                gss_init_sec_context(
                    &minor, credentials, &context, target, adjoin_gss_spnego_mechanism(), flags, 0, nil,
                    input == nil ? nil : tokenPointer, nil, &output, nil, nil)
            }
        }
        defer { var released: OM_uint32 = 0; gss_release_buffer(&released, &output) }
        try check(major, minor, "authenticating to \(targetName)")
        isComplete = adjoin_gss_continue_needed(major) == 0
        return output.length == 0 ? [] : Array(UnsafeRawBufferPointer(start: output.value, count: output.length))
    }

    /// The MIC (RFC 2743 2.3.1) of `message`: a GSS-TSIG's MAC.
    public func mic(_ message: [UInt8]) throws(KerberosError) -> [UInt8] {
        var minor: OM_uint32 = 0
        var output = gss_buffer_desc()
        var bytes = message
        let major = bytes.withUnsafeMutableBytes { buffer in
            var input = gss_buffer_desc(length: buffer.count, value: buffer.baseAddress)
            return gss_get_mic(&minor, context, 0, &input, &output)
        }
        defer { var released: OM_uint32 = 0; gss_release_buffer(&released, &output) }
        try check(major, minor, "signing a message for \(targetName)")
        return Array(UnsafeRawBufferPointer(start: output.value, count: output.length))
    }

    /// Checks that `mic` is the server's MIC of `message`; throws if it is not (or is replayed).
    public func verify(_ mic: [UInt8], of message: [UInt8]) throws(KerberosError) {
        var minor: OM_uint32 = 0
        var bytes = message
        var token = mic
        let major = bytes.withUnsafeMutableBytes { buffer in
            token.withUnsafeMutableBytes { tokenBuffer in
                var input = gss_buffer_desc(length: buffer.count, value: buffer.baseAddress)
                var signature = gss_buffer_desc(length: tokenBuffer.count, value: tokenBuffer.baseAddress)
                return gss_verify_mic(&minor, context, &input, &signature, nil)
            }
        }
        try check(major, minor, "checking the signature of \(targetName)'s answer")
    }

    private func check(_ major: OM_uint32, _ minor: OM_uint32, _ operation: @autoclosure () -> String) throws(KerberosError) {
        guard adjoin_gss_error(major) != 0 else { return }
        let text = [Self.display(major, type: Int32(GSS_C_GSS_CODE)), Self.display(minor, type: Int32(GSS_C_MECH_CODE))]
            .filter { !$0.isEmpty }.joined(separator: ": ")
        throw KerberosError(code: KerberosCode(Int32(bitPattern: minor)), message: text, operation: operation())
    }

    /// gss_display_status's text for one code (a major code may have several messages).
    private static func display(_ code: OM_uint32, type: Int32) -> String {
        guard code != 0 else { return "" }
        var messages: [String] = []
        var context: OM_uint32 = 0
        repeat {
            var minor: OM_uint32 = 0
            var text = gss_buffer_desc()
            guard gss_display_status(&minor, code, type, nil, &context, &text) == 0 else { break }
            messages.append(String(decoding: UnsafeRawBufferPointer(start: text.value, count: text.length), as: UTF8.self))
            gss_release_buffer(&minor, &text)
        } while context != 0 && messages.count < 8
        return messages.joined(separator: "; ")
    }
}
