import AdjoinCore
internal import CLDAP
internal import CLDAPShim
#if canImport(Glibc)
    import Glibc
#endif

/// What the searches and the add sent together (`LDAPConnection.search(_:thenAdd:...)`) were answered:
/// each on its own, since a caller needs the add's outcome whatever the searches found, and the
/// searches' whatever became of the add.
public struct LDAPSearchesThenAdd: Sendable {
    /// The entries of each search, in the order asked, or the first failure among them.
    public var searches: Result<[[LDAPEntry]], LDAPError>
    /// The add's outcome, with the entries of the search sent right behind it (none where the server
    /// answered that search before the add had made the entry).
    public var add: Result<[LDAPEntry], LDAPError>

    public init(searches: Result<[[LDAPEntry]], LDAPError>, add: Result<[LDAPEntry], LDAPError>) {
        self.searches = searches
        self.add = add
    }
}

extension LDAPConnection {
    /// Searches, then an add and a search behind it, all sent before any answer is read (RFC 4511
    /// 4.1.1): one round trip for what `search` and `add(_:attributes:thenSearch:)` take two. Every
    /// answer is read, so that none stays on the connection. Throws only when the searches could not
    /// be sent: the add was not sent either, and nothing changed.
    public func search(
        _ requests: [LDAPSearchRequest], thenAdd dn: String, attributes: [LDAPAttribute], thenSearch request: LDAPSearchRequest,
        deadline: Deadline
    ) throws(LDAPError) -> LDAPSearchesThenAdd {
        applyTimeout(deadline)
        var messageIDs: [Int32] = []
        for search in requests {
            messageIDs.append(try send(search, deadline: deadline))
        }
        let add = beginAdd(dn, attributes: attributes, thenSearch: request, deadline: deadline)
        var searches: Result<[[LDAPEntry]], LDAPError> = .success([])
        for (search, messageID) in zip(requests, messageIDs) {
            let answer = Result { () throws(LDAPError) in try result(of: messageID, search.operation, deadline).entries }
            switch (searches, answer) {
            case (.success(let entries), .success(let more)): searches = .success(entries + [more])
            case (.success, .failure(let error)): searches = .failure(error)
            case (.failure, _): break
            }
        }
        return LDAPSearchesThenAdd(searches: searches, add: finishAdd(add, deadline: deadline))
    }

    /// The add and the search behind it, sent; or why the add could not be sent.
    func beginAdd(
        _ dn: String, attributes: [LDAPAttribute], thenSearch request: LDAPSearchRequest, deadline: Deadline
    ) -> Result<PendingAdd, LDAPError> {
        // libldap encodes and sends the request here: the list (with the password, wiped on release) is not needed after it.
        let list = ModificationList(attributes.map { (LDAP_MOD_ADD, $0) })
        var addID: Int32 = 0
        let sent = adjoin_ldap_add_ext(raw, dn, list.pointer, nil, nil, &addID)
        guard sent == LDAP_SUCCESS else { return .failure(error(sent, "creating \(dn)")) }
        return .success(PendingAdd(dn: dn, messageID: addID, search: request, searchID: try? send(request, deadline: deadline)))
    }

    /// The add's answer, then the search's behind it (read whatever the add's outcome, so that no late
    /// answer stays on the connection).
    func finishAdd(_ pending: Result<PendingAdd, LDAPError>, deadline: Deadline) -> Result<[LDAPEntry], LDAPError> {
        let add: PendingAdd
        switch pending {
        case .success(let sent): add = sent
        case .failure(let error): return .failure(error)
        }
        let operation = "creating \(add.dn)"
        var message: OpaquePointer? = nil
        var limit = timeval(deadline)
        let type = adjoin_ldap_result(raw, add.messageID, LDAP_MSG_ALL, &limit, &message)
        defer { if let message { adjoin_ldap_msgfree(message) } }
        let failure: LDAPError?
        if type == 0 {
            failure = error(LDAP_TIMEOUT, operation)
        } else if type < 0 {
            failure = error(resultCode, operation)
        } else {
            var code: Int32 = LDAP_SUCCESS
            let parsed = adjoin_ldap_parse_result(raw, message, &code, nil, nil, nil, nil, 0)
            // Taken now, while the handle's diagnostic message is the add's.
            failure = parsed != LDAP_SUCCESS ? error(parsed, operation) : code != LDAP_SUCCESS ? error(code, operation) : nil
        }
        let found = add.searchID.flatMap { id in try? result(of: id, add.search.operation, deadline).entries }
        if let failure { return .failure(failure) }
        return .success(found ?? [])
    }
}

/// An add sent, with the search behind it (nil: that search could not be sent), whose answers are still to be read.
struct PendingAdd {
    let dn: String
    let messageID: Int32
    let search: LDAPSearchRequest
    let searchID: Int32?
}
