import AdjoinCore
internal import CLDAP

extension LDAPConnection {
    /// Entries per page: well under Active Directory's default MaxPageSize (lDAPAdminLimits, 1000), the
    /// most a DC returns for one search, or for one page, before it answers sizeLimitExceeded.
    public static let defaultPageSize = 500

    /// Like `search(_:deadline:)`, for searches that may match more entries than the DC returns at once:
    /// each is read in pages of `pageSize` entries (RFC 2696 simple paged results). The first pages of
    /// all go out together; then each search asks for its next page with the cookie of the last, until
    /// the server's cookie is empty, or until a response has no paging control at all (a server that
    /// does not page answered the whole search). `deadline` bounds the whole of it. `onPage` is told the
    /// number of entries of each page as it arrives.
    public func pagedSearch(_ requests: [LDAPSearchRequest], pageSize: Int = defaultPageSize, deadline: Deadline,
                            onPage: (_ entries: Int) -> Void = { _ in }) throws(LDAPError) -> [[LDAPEntry]] {
        precondition(pageSize > 0 && pageSize <= Int(Int32.max), "page size out of range")
        applyTimeout(deadline)
        var messageIDs: [Int32] = []
        for request in requests {
            messageIDs.append(try send(request, page: PagedResultsControl(size: pageSize, cookie: []), deadline: deadline))
        }
        var answers: [[LDAPEntry]] = []
        for (request, first) in zip(requests, messageIDs) {
            var messageID = first
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
