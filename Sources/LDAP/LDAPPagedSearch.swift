import AdjoinCore
internal import CLDAP

extension LDAPConnection {
    /// Entries per page: well under Active Directory's default MaxPageSize (lDAPAdminLimits, 1000), the
    /// most a DC returns for one search, or for one page, before it answers sizeLimitExceeded.
    public static let defaultPageSize = 500

    /// How many paged searches one call leaves open on the server at once: AD keeps MaxResultSetsPerConn
    /// (default 10) per connection, Samba 10 too, and both drop the oldest beyond that, whose next page
    /// then fails.
    static let maximumOpenPagedSearches = 5

    /// Like `search(_:deadline:)`, for searches that may match more entries than the DC returns at once:
    /// each is read in pages of `pageSize` entries (RFC 2696 simple paged results). The first pages go
    /// out together (of at most `maximumOpenPagedSearches` searches; the rest are sent in turn); then
    /// each search asks for its next page with the cookie of the last, until the server's cookie is
    /// empty, or until a response has no paging control at all (a server that does not page answered
    /// the whole search). Base searches (one entry at most) go unpaged. `deadline` bounds the whole.
    /// `onPage` is told the number of entries of each page as it arrives.
    public func pagedSearch(
        _ requests: [LDAPSearchRequest], pageSize: Int = defaultPageSize, deadline: Deadline,
        onPage: (_ entries: Int) -> Void = { _ in }
    ) throws(LDAPError) -> [[LDAPEntry]] {
        precondition(pageSize > 0 && pageSize <= Int(Int32.max), "page size out of range")
        let firstPage = PagedResultsControl(size: pageSize, cookie: [])
        applyTimeout(deadline)
        var messageIDs: [Int32?] = []
        var open = 0
        for request in requests {
            let paged = request.scope != .base
            if paged && open == Self.maximumOpenPagedSearches {
                messageIDs.append(nil)
                continue
            }
            open += paged ? 1 : 0
            messageIDs.append(try send(request, page: paged ? firstPage : nil, deadline: deadline))
        }
        var answers: [[LDAPEntry]] = []
        for (request, sent) in zip(requests, messageIDs) {
            var messageID: Int32
            if let sent {
                messageID = sent
            } else {
                applyTimeout(deadline)
                messageID = try send(request, page: firstPage, deadline: deadline)
            }
            var entries: [LDAPEntry] = []
            while true {
                let page = try result(of: messageID, request.operation, deadline)
                entries += page.entries
                onPage(page.entries.count)
                guard let value = page.controls[PagedResultsControl.oid] else { break }
                let cookie: [UInt8]
                do {
                    cookie = try PagedResultsControl(berValue: value).cookie
                } catch {
                    throw LDAPError(code: error.code, message: error.message, diagnostic: nil, operation: request.operation)
                }
                if cookie.isEmpty { break }
                // Between pages too: a server that keeps handing out cookies stops at the deadline.
                if deadline.isExpired { throw error(LDAP_TIMEOUT, request.operation + " (after \(entries.count) entries)") }
                applyTimeout(deadline)
                messageID = try send(request, page: PagedResultsControl(size: pageSize, cookie: cookie), deadline: deadline)
            }
            answers.append(entries)
        }
        return answers
    }
}
