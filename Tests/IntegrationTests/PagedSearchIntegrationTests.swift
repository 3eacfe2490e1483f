import AdjoinCore
import Discovery
import Foundation
import Testing
import TestSupport
@testable import Membership
@testable import LDAP

/// Paged searches against the lab DC. Samba 4.17 enforces no MaxPageSize on an unpaged search (it
/// answered 274 entries with MaxPageSize=10 in lDAPAdminLimits, and ignores the client's size limit
/// too), so the lab cannot fail an unpaged search as AD does past 1000 entries. Paging is proven
/// instead with a page size below the number of entries: the DC's pages arrive one by one and
/// together hold every entry exactly once.
@Suite(.serialized, .needsLab) struct PagedSearchIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    static let accounts = 20
    static let pageSize = 7

    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    /// An OU of the test's own with `count` computer accounts marked as joined for instances, added in
    /// one ldapadd. Returns the OU and, per DN, the instance id.
    private func markedAccounts(_ count: Int) throws -> (ou: String, owners: [String: String]) {
        let tag = UUID().uuidString.prefix(8).lowercased()
        let ou = "OU=paging-\(tag),\(lab.organizationalUnit)"
        var ldif = "dn: \(ou)\nobjectClass: organizationalUnit\n\n"
        var owners: [String: String] = [:]
        for index in 0..<count {
            let name = "PG\(tag.prefix(6).uppercased())\(index)"
            let instance = String(format: "i-%@%09x", String(tag), index)
            ldif +=
                "dn: CN=\(name),\(ou)\nobjectClass: computer\nsAMAccountName: \(name)$\nuserAccountControl: 4096\n"
                + "info: adjoin-owner: \(instance)\n\n"
            owners["CN=\(name),\(ou)".lowercased()] = instance
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("paging-\(tag).ldif")
        try ldif.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try admin.tool("ldapadd", ["-f", file.path])
        try #require(result.status == 0, "ldapadd: \(result.stderr)")
        return (ou, owners)
    }

    @Test func pagesArriveOneByOneAndTogetherHoldEveryEntry() throws {
        let (ou, owners) = try markedAccounts(Self.accounts)
        defer { _ = try? admin.tool("ldapdelete", ["-r", ou]) }
        let (connection, _) = try LDAPIntegrationTests().boundConnection()
        let computers = LDAPSearchRequest(base: ou, scope: .subtree, filter: "(objectClass=computer)", attributes: ["info"])
        let missing = LDAPSearchRequest(base: "OU=No Such Thing,\(lab.baseDN)", scope: .base, filter: "(objectClass=*)", attributes: ["cn"])
        var pages: [Int] = []
        let answers = try connection.pagedSearch([computers, missing], pageSize: Self.pageSize, deadline: Deadline(seconds: 20)) {
            pages.append($0)
        }
        #expect(pages == [7, 7, 6, 0], "three pages of the OU's search, then the empty answer for the missing base")
        #expect(Set(answers[0].map { $0.dn.lowercased() }) == Set(owners.keys))
        #expect(answers[0].count == Self.accounts, "no entry twice")
        #expect(answers[1].isEmpty)

        var whole: [Int] = []
        let unpaged = try connection.pagedSearch([computers], deadline: Deadline(seconds: 20)) { whole.append($0) }
        #expect(whole == [Self.accounts], "the default page size holds them all in one page")
        #expect(unpaged[0].count == Self.accounts)
    }

    /// More paged searches in one call than a DC keeps open per connection (MaxResultSetsPerConn, 10 in
    /// AD and Samba, which drop the oldest): each still gets all its pages.
    @Test func moreSearchesThanTheServerKeepsOpenEachGetAllTheirPages() throws {
        let (ou, owners) = try markedAccounts(Self.accounts)
        defer { _ = try? admin.tool("ldapdelete", ["-r", ou]) }
        let (connection, _) = try LDAPIntegrationTests().boundConnection()
        let computers = LDAPSearchRequest(base: ou, scope: .subtree, filter: "(objectClass=computer)", attributes: ["cn"])
        var pages = 0
        let answers = try connection.pagedSearch(
            Array(repeating: computers, count: 12), pageSize: Self.pageSize,
            deadline: Deadline(seconds: 30)
        ) { _ in pages += 1 }
        #expect(answers.map { Set($0.map { $0.dn.lowercased() }) } == Array(repeating: Set(owners.keys), count: 12))
        #expect(pages == 12 * 3)
    }

    /// The deadline bounds the whole search, not each page: a search whose time runs out between two
    /// pages ends with TIMEOUT instead of asking for the next.
    @Test func theDeadlineBoundsTheWholePagedSearch() throws {
        let (ou, _) = try markedAccounts(Self.accounts)
        defer { _ = try? admin.tool("ldapdelete", ["-r", ou]) }
        let (connection, _) = try LDAPIntegrationTests().boundConnection()
        // Long enough for the first page from a loaded DC; the callback then spends the rest.
        let deadline = Deadline(seconds: 6)
        var pages = 0
        #expect {
            _ = try connection.pagedSearch(
                [LDAPSearchRequest(base: ou, scope: .subtree, filter: "(objectClass=computer)", attributes: ["cn"])],
                pageSize: Self.pageSize, deadline: deadline
            ) { _ in
                pages += 1
                while !deadline.isExpired { usleep(20_000) }
            }
        } throws: { error in
            (error as? LDAPError)?.isTimeout == true && "\(error)".contains("after 7 entries")
        }
        #expect(pages == 1)
    }

    /// The sweep's listing reads the accounts in pages: every marked account of the OU once, with a
    /// progress line for each full page.
    @Test func theSweepListsEveryAccountAcrossSeveralPages() throws {
        let (ou, owners) = try markedAccounts(Self.accounts)
        defer { _ = try? admin.tool("ldapdelete", ["-r", ou]) }
        var place = DirectoryPlace(files: HostFiles(root: FileManager.default.temporaryDirectory.path))
        place.domainControllers = [try HostPort(parsing: lab.dcIP)]
        let lines = Locked<[String]>([])
        let directory = try InstanceAccounts(
            domain: try DomainName(lab.domain), place: place, user: lab.joinUser,
            password: SecretBytes(try lab.joinPassword()), deadline: Deadline(seconds: 20),
            progress: { line in lines.withLock { $0.append(line) } })
        directory.pageSize = Self.pageSize
        let accounts = try directory.list(under: [ou], deadline: Deadline(seconds: 20))
        #expect(accounts.count == Self.accounts)
        #expect(Dictionary(uniqueKeysWithValues: accounts.map { ($0.dn.lowercased(), $0.owner.value) }) == owners)
        // The OU itself (1 entry), then pages of 7, 7 and 6 accounts: two full pages.
        let pageLines = lines.withLock { $0 }.filter { $0.hasPrefix("Read ") }
        #expect(pageLines == ["Read 8 directory entries so far", "Read 15 directory entries so far"])
    }
}
