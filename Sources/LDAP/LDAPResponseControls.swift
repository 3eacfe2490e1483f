internal import CLDAP
internal import CLDAPShim

/// One control as it goes over the wire (RFC 4511 4.1.11).
struct LDAPControlValue: Equatable {
    let oid: String
    let critical: Bool
    let value: [UInt8]

    /// Copies each control of libldap's NULL-terminated array.
    static func copy(_ controls: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?) -> [LDAPControlValue] {
        var copies: [LDAPControlValue] = []
        var index = 0
        while let control = controls?[index] {
            let value = control.pointee.ldctl_value
            copies.append(
                LDAPControlValue(
                    oid: control.pointee.ldctl_oid.map { String(cString: $0) } ?? "",
                    critical: control.pointee.ldctl_iscritical != 0,
                    value: value.bv_val.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(value.bv_len))) } ?? []))
            index += 1
        }
        return copies
    }
}

/// The controls a server put on a result, by OID: what a search reads from its SearchResultDone,
/// e.g. the paged results cookie.
struct LDAPResponseControls {
    let values: [String: [UInt8]]

    static let none = LDAPResponseControls(taking: nil)

    /// Copies libldap's array (from ldap_parse_result) and frees it.
    init(taking controls: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?) {
        defer { if let controls { adjoin_ldap_controls_free(controls) } }
        values = Dictionary(LDAPControlValue.copy(controls).map { ($0.oid, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    subscript(oid: String) -> [UInt8]? { values[oid] }
}

extension LDAPServerControls {
    /// The controls as libldap will send them.
    var values: [LDAPControlValue] { withPointer { LDAPControlValue.copy($0) } }
}
