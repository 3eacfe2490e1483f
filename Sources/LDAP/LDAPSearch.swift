import AdjoinCore
internal import CLDAP
#if canImport(Glibc)
import Glibc
#endif

/// An entry from a search: its DN and attribute values, attribute names in lower case.
public struct LDAPEntry: Sendable {
    public let dn: String
    public let attributes: [String: [[UInt8]]]

    public func values(_ name: String) -> [[UInt8]] { attributes[name.lowercased()] ?? [] }
    public func strings(_ name: String) -> [String] { values(name).map { String(decoding: $0, as: UTF8.self) } }
    public func string(_ name: String) -> String? { strings(name).first }
}

public enum LDAPScope: Sendable {
    case base, oneLevel, subtree

    var raw: Int32 {
        switch self {
        case .base: LDAP_SCOPE_BASE
        case .oneLevel: LDAP_SCOPE_ONELEVEL
        case .subtree: LDAP_SCOPE_SUBTREE
        }
    }
}

extension LDAPConnection {
    /// A synchronous search. Filters must be built with `LDAPEscaping.filterValue` for any value
    /// that did not come from this program.
    public func search(base: String, scope: LDAPScope, filter: String, attributes: [String], deadline: Deadline) throws(LDAPError) -> [LDAPEntry] {
        applyTimeout(deadline)
        var names = attributes.map { strdup($0) } + [nil]
        defer { names.forEach { free($0) } }
        var result: OpaquePointer? = nil
        var limit = timeval(tv_sec: Int(deadline.remainingMilliseconds / 1000), tv_usec: Int(deadline.remainingMilliseconds % 1000) * 1000)
        let status = names.withUnsafeMutableBufferPointer { buffer in
            ldap_search_ext_s(raw, base, scope.raw, filter, buffer.baseAddress, 0, nil, nil, &limit, 0, &result)
        }
        defer { if let result { ldap_msgfree(result) } }
        guard status == LDAP_SUCCESS else {
            if status == LDAP_NO_SUCH_OBJECT { return [] }
            throw error(status, "search of \(base.isEmpty ? "the rootDSE" : base) for \(filter)")
        }
        var entries: [LDAPEntry] = []
        var message = ldap_first_entry(raw, result)
        while let current = message {
            entries.append(entry(current))
            message = ldap_next_entry(raw, current)
        }
        return entries
    }

    private func entry(_ message: OpaquePointer) -> LDAPEntry {
        let dnPointer = ldap_get_dn(raw, message)
        defer { ldap_memfree(dnPointer) }
        var attributes: [String: [[UInt8]]] = [:]
        var cursor: OpaquePointer? = nil
        var name = ldap_first_attribute(raw, message, &cursor)
        while let current = name {
            if let values = ldap_get_values_len(raw, message, current) {
                var list: [[UInt8]] = []
                var index = 0
                while let value = values[index] {
                    list.append(Array(UnsafeRawBufferPointer(start: value.pointee.bv_val, count: Int(value.pointee.bv_len))))
                    index += 1
                }
                ldap_value_free_len(values)
                attributes[String(cString: current).lowercased()] = list
            }
            ldap_memfree(current)
            name = ldap_next_attribute(raw, message, cursor)
        }
        if let cursor { ber_free(cursor, 0) }
        return LDAPEntry(dn: dnPointer.map { String(cString: $0) } ?? "", attributes: attributes)
    }
}
