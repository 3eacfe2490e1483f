import AdjoinCore
@testable import LDAP
@testable import Membership
import Testing
import TestSupport

/// The login groups are looked up in the domain once joined: a name it does not hold is a warning.
@Suite struct LoginGroupLookupTests {
    static let controller = FakeDirectory.controller("dc1.corp.example.com", domain: "corp.example.com")
    static let base = "DC=corp,DC=example,DC=com"

    func lookup(_ names: [String]) throws -> LoginGroupLookup {
        LoginGroupLookup(
            domain: try DomainName("corp.example.com"), groups: try names.map { (name) throws(AdjoinError) in try GroupName(name) })
    }

    @Test func aGroupTheDomainDoesNotHoldIsAWarning() throws {
        let directory = try FakeDirectory(
            controller: Self.controller, realm: "CORP.EXAMPLE.COM",
            [
                .search(
                    base: Self.base,
                    entries: [LDAPEntry.scripted("CN=Linux Admins,OU=Groups," + Self.base, ["sAMAccountName": ["linux-admins"]])])
            ])
        // The same group twice (login and sudo) is asked once; another domain's is not asked.
        let warnings = try lookup(["Linux-Admins", "linux-admns", "linux-admins@corp.example.com", "ops@other.example.org"])
            .warnings(session: directory, progress: { _ in }, deadline: Deadline(seconds: 5))
        #expect(
            warnings == [
                "the domain has no group linux-admns: no one logs in or uses sudo by it (check the name: sssd matches it as written)"
            ])
        directory.script.finish()
    }

    @Test func aLookupThatFailsWarnsOfNothing() throws {
        let directory = try FakeDirectory(
            controller: Self.controller, realm: "CORP.EXAMPLE.COM",
            [
                .search(base: Self.base, error: LDAPError(code: .serverDown, message: "scripted", diagnostic: nil, operation: "search"))
            ])
        let lines = Locked<[String]>([])
        let warnings = try lookup(["linux-admins"]).warnings(
            session: directory, progress: { line in lines.withLock { $0.append(line) } },
            deadline: Deadline(seconds: 5))
        #expect(warnings.isEmpty)
        #expect(lines.withLock { $0 }.contains { $0.hasPrefix("Could not look up the login groups") })
        directory.script.finish()
    }

    @Test func noGroupsNoSearch() throws {
        let directory = try FakeDirectory(controller: Self.controller, realm: "CORP.EXAMPLE.COM", [])
        #expect(try lookup([]).warnings(session: directory, progress: { _ in }, deadline: Deadline(seconds: 5)).isEmpty)
        #expect(
            try lookup(["ops@other.example.org"]).warnings(session: directory, progress: { _ in }, deadline: Deadline(seconds: 5)).isEmpty)
        directory.script.finish()
    }
}
