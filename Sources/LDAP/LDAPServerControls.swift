import AdjoinCore
internal import CLDAP
internal import CLDAPShim

/// The server controls of one request, owned here: a NULL-terminated LDAPControl* array for libldap.
final class LDAPServerControls {
    private var controls: [UnsafeMutablePointer<LDAPControl>?] = []

    /// The security-descriptor flags control (MS-ADTS 3.1.1.3.4.1.11, LDAP_SERVER_SD_FLAGS_OID): which
    /// parts of nTSecurityDescriptor a search returns or a modify replaces. With it, an account that may
    /// not read the owner or the SACL can still read and write the DACL alone.
    static let securityDescriptorFlagsOID = "1.2.840.113556.1.4.801"
    init(securityDescriptorFlags: UInt8?, treeDelete: Bool = false, page: PagedResultsControl? = nil) throws(LDAPError) {
        if let flags = securityDescriptorFlags {
            // SEQUENCE { INTEGER flags }.
            var value = BER.element(BER.sequence, BER.integer(Int32(flags))).map { CChar(bitPattern: $0) }
            try append(Self.securityDescriptorFlagsOID, value: &value)
        }
        if treeDelete {
            var none: [CChar] = []
            try append(LDAP_CONTROL_X_TREE_DELETE, value: &none)
        }
        if let page {
            // Not critical: a server without paging answers the whole search at once, as if unpaged.
            var value = page.berValue.map { CChar(bitPattern: $0) }
            try append(PagedResultsControl.oid, value: &value, critical: false)
        }
    }

    deinit {
        for case let control? in controls { adjoin_ldap_control_free(control) }
    }

    var isEmpty: Bool { controls.isEmpty }

    /// Lends the NULL-terminated array (nil when there are no controls) for the duration of `body`.
    func withPointer<R>(_ body: (UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?) -> R) -> R {
        guard !controls.isEmpty else { return body(nil) }
        var terminated = controls + [nil]
        return terminated.withUnsafeMutableBufferPointer { body($0.baseAddress) }
    }

    private func append(_ oid: String, value: inout [CChar], critical: Bool = true) throws(LDAPError) {
        var control: UnsafeMutablePointer<LDAPControl>? = nil
        let status = value.withUnsafeMutableBufferPointer { buffer in
            guard !buffer.isEmpty else { return adjoin_ldap_control_create(oid, critical ? 1 : 0, nil, 0, &control) }
            var berValue = berval(bv_len: ber_len_t(buffer.count), bv_val: buffer.baseAddress)
            // dupval 1: libldap copies the value, so the buffer need not outlive this call.
            return adjoin_ldap_control_create(oid, critical ? 1 : 0, &berValue, 1, &control)
        }
        guard status == LDAP_SUCCESS, let control else {
            throw LDAPError(
                code: LDAPResultCode(status), message: String(cString: adjoin_ldap_err2string(status)), diagnostic: nil,
                operation: "building the control \(oid)")
        }
        controls.append(control)
    }
}
