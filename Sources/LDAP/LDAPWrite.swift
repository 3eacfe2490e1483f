import AdjoinCore
internal import CLDAP
internal import CLDAPShim
#if canImport(Glibc)
    import Glibc
#endif

/// One attribute with its values, for an add or a modify. A password's value (unicodePwd) is a
/// `secret` instead: it stays on SecretBytes' pages until libldap's copy, which is wiped too.
public struct LDAPAttribute: Sendable {
    public var name: String
    public var values: [[UInt8]]
    public var secret: SecretBytes?

    public init(_ name: String, _ values: [String]) {
        self.name = name
        self.values = values.map { Array($0.utf8) }
    }

    public init(_ name: String, bytes values: [[UInt8]]) {
        self.name = name
        self.values = values
    }

    public init(_ name: String, secret: SecretBytes) {
        self.name = name
        values = []
        self.secret = secret
    }
}

public enum LDAPChange: Sendable {
    case add(LDAPAttribute)
    case replace(LDAPAttribute)
    case delete(LDAPAttribute)
}

extension LDAPConnection {
    public func add(_ dn: String, attributes: [LDAPAttribute], deadline: Deadline) throws(LDAPError) {
        let list = ModificationList(attributes.map { (LDAP_MOD_ADD, $0) })
        applyTimeout(deadline)
        let status = adjoin_ldap_add_ext_s(raw, dn, list.pointer, nil, nil)
        guard status == LDAP_SUCCESS else { throw error(status, "creating \(dn)") }
    }

    /// The add, and a search sent right behind it without waiting (RFC 4511 4.1.1): one round trip for
    /// both, for a caller that reads what the directory made of the new entry (its security
    /// descriptor, which inheritance filled in). The search's entries; none where the server answered
    /// the search before the add had made the entry (RFC 4511 lets it take requests in any order), which
    /// the caller then reads again. A failed add throws as `add` does, after the search's answer is read.
    public func add(
        _ dn: String, attributes: [LDAPAttribute], thenSearch request: LDAPSearchRequest,
        deadline: Deadline
    ) throws(LDAPError) -> [LDAPEntry] {
        applyTimeout(deadline)
        return try finishAdd(beginAdd(dn, attributes: attributes, thenSearch: request, deadline: deadline), deadline: deadline).get()
    }

    /// The changes as libldap's LDAPMod list.
    private static func modifications(_ changes: [LDAPChange]) -> ModificationList {
        ModificationList(
            changes.map { change in
                switch change {
                case .add(let attribute): (LDAP_MOD_ADD, attribute)
                case .replace(let attribute): (LDAP_MOD_REPLACE, attribute)
                case .delete(let attribute): (LDAP_MOD_DELETE, attribute)
                }
            })
    }

    /// `securityDescriptorFlags`: when the change replaces nTSecurityDescriptor, the parts it replaces
    /// (`LDAPSearchRequest.daclOnly`); the others stay as the directory has them.
    public func modify(_ dn: String, changes: [LDAPChange], securityDescriptorFlags: UInt8? = nil, deadline: Deadline) throws(LDAPError) {
        let list = Self.modifications(changes)
        let controls = try LDAPServerControls(securityDescriptorFlags: securityDescriptorFlags)
        applyTimeout(deadline)
        let status = controls.withPointer { adjoin_ldap_modify_ext_s(raw, dn, list.pointer, $0, nil) }
        guard status == LDAP_SUCCESS else { throw error(status, "modifying \(dn)") }
    }

    /// The modify sent without waiting for its answer (RFC 4511 4.1.1 lets a client go on meanwhile):
    /// work on other connections overlaps its round trip, and `finish` reads the answer.
    public func beginModify(
        _ dn: String, changes: [LDAPChange], securityDescriptorFlags: UInt8? = nil,
        deadline: Deadline
    ) throws(LDAPError) -> LDAPPendingChange {
        let list = Self.modifications(changes)
        let controls = try LDAPServerControls(securityDescriptorFlags: securityDescriptorFlags)
        applyTimeout(deadline)
        var messageID: Int32 = 0
        // libldap encodes and sends the request here: the list and controls are not needed after it.
        let status = controls.withPointer { adjoin_ldap_modify_ext(raw, dn, list.pointer, $0, nil, &messageID) }
        guard status == LDAP_SUCCESS else { throw error(status, "modifying \(dn)") }
        return LDAPPendingChange(messageID: messageID, operation: "modifying \(dn)")
    }

    /// The answer to a change sent by `beginModify`: throws as `modify` does.
    public func finish(_ change: LDAPPendingChange, deadline: Deadline) throws(LDAPError) {
        var message: OpaquePointer? = nil
        var limit = timeval(deadline)
        let type = adjoin_ldap_result(raw, change.messageID, LDAP_MSG_ALL, &limit, &message)
        defer { if let message { adjoin_ldap_msgfree(message) } }
        if type == 0 { throw error(LDAP_TIMEOUT, change.operation) }
        if type < 0 { throw error(resultCode, change.operation) }
        var code: Int32 = LDAP_SUCCESS
        let parsed = adjoin_ldap_parse_result(raw, message, &code, nil, nil, nil, nil, 0)
        if parsed != LDAP_SUCCESS { throw error(parsed, change.operation) }
        if code != LDAP_SUCCESS { throw error(code, change.operation) }
    }

    /// Deletes `dn`; with `tree`, its children too (the tree-delete control of MS-ADTS 3.1.1.5.5,
    /// which AD requires for computer objects that have child objects).
    public func delete(_ dn: String, tree: Bool, deadline: Deadline) throws(LDAPError) {
        let controls = try LDAPServerControls(securityDescriptorFlags: nil, treeDelete: tree)
        applyTimeout(deadline)
        let status = controls.withPointer { adjoin_ldap_delete_ext_s(raw, dn, $0, nil) }
        guard status == LDAP_SUCCESS else { throw error(status, "deleting \(dn)") }
    }
}

/// A change sent whose answer has not been read yet (`LDAPConnection.finish`).
public struct LDAPPendingChange: Sendable {
    let messageID: Int32
    let operation: String
}

/// The C form of a list of attribute changes (a NULL-terminated LDAPMod* array with berval values),
/// owned here and wiped when released, since values may be passwords (unicodePwd).
final class ModificationList {
    private var modifications: [UnsafeMutablePointer<LDAPMod>?] = []
    let pointer: UnsafeMutablePointer<UnsafeMutablePointer<LDAPMod>?>

    init(_ items: [(Int32, LDAPAttribute)]) {
        for (operation, attribute) in items {
            let count = attribute.values.count + (attribute.secret == nil ? 0 : 1)
            let values = UnsafeMutablePointer<UnsafeMutablePointer<berval>?>.allocate(capacity: count + 1)
            func copy(_ bytes: UnsafeRawBufferPointer) -> UnsafeMutablePointer<berval> {
                let storage = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, bytes.count))
                if let source = bytes.baseAddress { UnsafeMutableRawPointer(storage).copyMemory(from: source, byteCount: bytes.count) }
                let value = UnsafeMutablePointer<berval>.allocate(capacity: 1)
                value.initialize(to: berval(bv_len: ber_len_t(bytes.count), bv_val: storage))
                return value
            }
            for (index, bytes) in attribute.values.enumerated() {
                values[index] = bytes.withUnsafeBytes(copy)
            }
            if let secret = attribute.secret {
                values[attribute.values.count] = secret.withUnsafeBytes(copy)
            }
            values[count] = nil
            let modification = UnsafeMutablePointer<LDAPMod>.allocate(capacity: 1)
            modification.initialize(to: LDAPMod())
            modification.pointee.mod_op = operation | LDAP_MOD_BVALUES
            modification.pointee.mod_type = strdup(attribute.name)
            modification.pointee.mod_vals.modv_bvals = values
            modifications.append(modification)
        }
        pointer = .allocate(capacity: modifications.count + 1)
        for (index, modification) in modifications.enumerated() { pointer[index] = modification }
        pointer[modifications.count] = nil
    }

    deinit {
        for case let modification? in modifications {
            free(modification.pointee.mod_type)
            if let values = modification.pointee.mod_vals.modv_bvals {
                var index = 0
                while let value = values[index] {
                    explicit_bzero(value.pointee.bv_val, Int(value.pointee.bv_len))
                    value.pointee.bv_val.deallocate()
                    value.deallocate()
                    index += 1
                }
                values.deallocate()
            }
            modification.deallocate()
        }
        pointer.deallocate()
    }
}
