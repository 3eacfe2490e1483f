import AdjoinCore
internal import CLDAP
internal import CLDAPShim
#if canImport(Glibc)
    import Glibc
#endif

/// An entry from a search: its DN and attribute values, attribute names in lower case.
public struct LDAPEntry: Sendable {
    public let dn: String
    public let attributes: [String: [[UInt8]]]

    /// `attributes` keyed by lower-cased name, as searches return them.
    public init(dn: String, attributes: [String: [[UInt8]]]) {
        self.dn = dn
        self.attributes = attributes
    }

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

/// One search: where, how deep, what to match, which attributes to return.
public struct LDAPSearchRequest: Sendable {
    public var base: String
    public var scope: LDAPScope
    public var filter: String
    public var attributes: [String]
    /// With nTSecurityDescriptor among the attributes: the parts to return (`daclOnly`), so that an
    /// account that may not read the owner or the SACL still gets the DACL.
    public var securityDescriptorFlags: UInt8?

    /// DACL_SECURITY_INFORMATION, for `securityDescriptorFlags`.
    public static let daclOnly: UInt8 = 0x04

    public init(base: String, scope: LDAPScope, filter: String, attributes: [String], securityDescriptorFlags: UInt8? = nil) {
        self.base = base
        self.scope = scope
        self.filter = filter
        self.attributes = attributes
        self.securityDescriptorFlags = securityDescriptorFlags
    }

    var operation: String { "search of \(base.isEmpty ? "the rootDSE" : base) for \(filter)" }
}

extension LDAPConnection {
    /// A synchronous search. Filters must be built with `LDAPEscaping.filterValue` for any value
    /// that did not come from this program. A base that does not exist gives no entries.
    public func search(
        base: String, scope: LDAPScope, filter: String, attributes: [String], deadline: Deadline
    ) throws(LDAPError) -> [LDAPEntry] {
        try search([LDAPSearchRequest(base: base, scope: scope, filter: filter, attributes: attributes)], deadline: deadline)[0]
    }

    /// Several searches, all sent before any answer is read (RFC 4511 4.1.1 lets a client send without
    /// waiting), so that together they cost one round trip. The entries of each, in the order asked.
    public func search(_ requests: [LDAPSearchRequest], deadline: Deadline) throws(LDAPError) -> [[LDAPEntry]] {
        applyTimeout(deadline)
        var messageIDs: [Int32] = []
        for request in requests {
            messageIDs.append(try send(request, deadline: deadline))
        }
        var answers: [[LDAPEntry]] = []
        for (request, messageID) in zip(requests, messageIDs) {
            answers.append(try result(of: messageID, request.operation, deadline).entries)
        }
        return answers
    }

    /// Sends one search without waiting for its answer (`page`: with the paged results control). Its message id.
    func send(_ request: LDAPSearchRequest, page: PagedResultsControl? = nil, deadline: Deadline) throws(LDAPError) -> Int32 {
        var names = request.attributes.map { strdup($0) } + [nil]
        defer { names.forEach { free($0) } }
        var limit = timeval(deadline)
        var messageID: Int32 = 0
        let controls = try LDAPServerControls(securityDescriptorFlags: request.securityDescriptorFlags, page: page)
        let status = names.withUnsafeMutableBufferPointer { buffer in
            controls.withPointer { serverControls in
                adjoin_ldap_search_ext(
                    raw, request.base, request.scope.raw, request.filter, buffer.baseAddress, 0, serverControls, nil, &limit, 0, &messageID)
            }
        }
        guard status == LDAP_SUCCESS else { throw error(status, request.operation) }
        return messageID
    }

    /// Waits for every message of one search and returns its entries (search references are skipped)
    /// and the controls of its SearchResultDone.
    func result(
        of messageID: Int32, _ operation: String, _ deadline: Deadline
    ) throws(LDAPError) -> (entries: [LDAPEntry], controls: LDAPResponseControls) {
        var result: OpaquePointer? = nil
        var limit = timeval(deadline)
        let type = adjoin_ldap_result(raw, messageID, LDAP_MSG_ALL, &limit, &result)
        defer { if let result { adjoin_ldap_msgfree(result) } }
        if type == 0 { throw error(LDAP_TIMEOUT, operation) }
        if type < 0 { throw error(resultCode, operation) }
        var code: Int32 = LDAP_SUCCESS
        var rawControls: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>? = nil
        let parsed = adjoin_ldap_parse_result(raw, result, &code, nil, nil, nil, &rawControls, 0)
        let controls = LDAPResponseControls(taking: rawControls)
        guard parsed == LDAP_SUCCESS else { throw error(parsed, operation) }
        if LDAPResultCode(code) == .noSuchObject { return ([], .none) }
        guard code == LDAP_SUCCESS else { throw error(code, operation) }
        var entries: [LDAPEntry] = []
        var message = adjoin_ldap_first_entry(raw, result)
        while let current = message {
            entries.append(entry(current))
            message = adjoin_ldap_next_entry(raw, current)
        }
        return (entries, controls)
    }

    private func entry(_ message: OpaquePointer) -> LDAPEntry {
        let dnPointer = adjoin_ldap_get_dn(raw, message)
        defer { adjoin_ldap_memfree(dnPointer) }
        var attributes: [String: [[UInt8]]] = [:]
        var cursor: OpaquePointer? = nil
        var name = adjoin_ldap_first_attribute(raw, message, &cursor)
        while let current = name {
            if let values = adjoin_ldap_get_values_len(raw, message, current) {
                var list: [[UInt8]] = []
                var index = 0
                while let value = values[index] {
                    list.append(Array(UnsafeRawBufferPointer(start: value.pointee.bv_val, count: Int(value.pointee.bv_len))))
                    index += 1
                }
                adjoin_ldap_value_free_len(values)
                attributes[String(cString: current).lowercased()] = list
            }
            adjoin_ldap_memfree(current)
            name = adjoin_ldap_next_attribute(raw, message, cursor)
        }
        if let cursor { adjoin_ber_free(cursor, 0) }
        return LDAPEntry(dn: dnPointer.map { String(cString: $0) } ?? "", attributes: attributes)
    }
}

extension timeval {
    /// What is left of `deadline`, as libldap's time limits take it.
    init(_ deadline: Deadline) {
        let milliseconds = Int(deadline.remainingMilliseconds)
        self.init(tv_sec: milliseconds / 1000, tv_usec: milliseconds % 1000 * 1000)
    }
}
