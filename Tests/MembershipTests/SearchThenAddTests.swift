import AdjoinCore
import Discovery
import Foundation
@testable import Membership
@testable import Kerberos
@testable import LDAP
import Testing
import TestSupport

/// A fresh join with --ou sends its add (and the add's DACL read) in the account search's round trip
/// (issue 27), against a scripted directory that takes the two as one call: without --ou, or with
/// --service-name, the search goes alone first. An account the search finds makes the refused add
/// harmless, and the intent record names, at each write, the account the join may change.
@Suite struct SearchThenAddTests {
    static let base = "DC=corp,DC=example,DC=com"
    static let ou = "OU=Linux Servers," + base
    static let dn = "CN=WEB1," + ou
    static let computers = "CN=Computers," + base
    static let wellKnownComputers = "<WKGUID=AA312825768811D1ADED00C04FD8D5CD,\(base)>"
    static let owner = AccountOwner("i-0123456789abcdef0")
    static let controller = FakeDirectory.controller("dc1.corp.example.com", domain: "corp.example.com")

    let root = ScratchRoot()

    func request(ou: String? = Self.ou, services: [String] = []) throws -> JoinRequest {
        var request = JoinRequest(
            domain: try DomainName("corp.example.com"), user: "adjoiner", password: SecretBytes(Array("Join-Pass-1".utf8)),
            hostFQDN: "web1.corp.example.com", computerName: try ComputerName(hostFQDN: "web1.corp.example.com"),
            owner: Self.owner, osRelease: OSRelease(name: "Debian GNU/Linux", version: "12"))
        request.organizationalUnit = ou
        request.serviceNames = try ServiceName.list(services)
        request.files = root.files
        return request
    }

    static func ldapError(_ code: LDAPResultCode, _ diagnostic: String) -> LDAPError {
        LDAPError(code: code, message: "scripted", diagnostic: diagnostic, operation: "a scripted operation")
    }

    /// Samba 4.17's answers to an add of a name that exists (scripts/lab, checked with ldapadd).
    static let sameDN = ldapError(.alreadyExists, "Entry \(dn) already exists")
    static let nameInUse = ldapError(.alreadyExists, "00002071: samldb: samAccountName 'WEB1$' already in use!")

    /// An entry with a DACL (and an objectGUID), as the search and the read behind the add return them.
    static func account(_ dn: String, guid: UInt8, _ more: [String: [String]] = [:]) -> LDAPEntry {
        var attributes = LDAPEntry.scripted(dn, more).attributes
        attributes["ntsecuritydescriptor"] = [SelfDeletionGrantTests.beforeGrant]
        attributes["objectguid"] = [[UInt8](repeating: guid, count: 16)]
        return LDAPEntry(dn: dn, attributes: attributes)
    }

    /// The search and the add in one step; the new account's grant and proof after it.
    static func created(found: [LDAPEntry] = [], read: [LDAPEntry] = [account(dn, guid: 1)]) -> [DirectoryStep] {
        [
            .searchThenAdd(bases: [base], answer: .success([found]), dn: dn, read: read),
            .modify(dn: dn, attributes: ["nTSecurityDescriptor"]),
            .login(principal: "WEB1$", answer: .success(1)),
        ]
    }

    /// Runs the join, noting the DN the intent record named as each write was sent.
    func join(_ request: JoinRequest, _ steps: [DirectoryStep]) throws -> (Result<JoinResult, AdjoinError>, [String: String], FakeDirectory)
    {
        let directory = try FakeDirectory(controller: Self.controller, realm: "CORP.EXAMPLE.COM", steps)
        var intents: [String: String] = [:]
        let files = root.files
        directory.whenSending = { call in intents[call] = (try? JoinIntent.read(files))??.computerDN ?? "none" }
        let connector = FakeDirectoryConnector(directory, [.login(principal: "adjoiner@CORP.EXAMPLE.COM")])
        let result = Result { () throws(AdjoinError) in
            try DomainJoin(request, connector: connector, clock: FixedClock(1_700_000_000))
                .run(on: Self.controller, deadline: Deadline(seconds: 30))
        }
        connector.finish()
        return (result, intents, directory)
    }

    @Test func withAnOUTheAddGoesInTheSearchsRoundTrip() throws {
        defer { root.remove() }
        let (result, intents, directory) = try join(try request(), Self.created())
        let joined = try result.get()
        #expect(joined.created && joined.computerDN == Self.dn && joined.kvno == 1)
        // The intent record named the new DN before the add left; the password went in the add alone.
        #expect(intents["search of \(Self.base) with the add of \(Self.dn) behind it"] == Self.dn, "\(intents)")
        #expect(directory.added[Self.dn]?.contains { $0.name == "unicodePwd" && $0.secret != nil && $0.values.isEmpty } == true)
        // The DACL the read behind the add found is the one the grant wrote (no read of its own: the script has none).
        #expect(directory.modified[Self.dn]?.count == 1)
    }

    /// Without --ou the container comes from the WKGUID search (redircmp); with --service-name the SPNs
    /// must be found unique before any write: the search goes alone, the add in a round trip of its own.
    @Test(arguments: [(nil, [String]()), (ou, ["HTTP"])])
    func theSearchGoesAloneWhereItsAnswerDecides(ou: String?, services: [String]) throws {
        defer { root.remove() }
        let container = ou ?? Self.computers
        let dn = "CN=WEB1," + container
        let second = ou == nil ? Self.wellKnownComputers : Self.base
        let (result, intents, _) = try join(
            try request(ou: ou, services: services),
            [
                .search(bases: [Self.base, second], answer: .success([[], ou == nil ? [LDAPEntry.scripted(Self.computers, [:])] : []])),
                .add(dn: dn),
                .search(base: dn, entries: [Self.account(dn, guid: 1)]),
                .modify(dn: dn, attributes: ["nTSecurityDescriptor"]),
                .login(principal: "WEB1$", answer: .success(1)),
            ])
        #expect(try result.get().created)
        #expect(intents["add of \(dn)"] == dn)
    }

    /// A pre-staged account in another container: Samba refuses the add (the name is in use) and the join
    /// goes on with the account found, its intent record rewritten for it before anything is written.
    @Test func anAccountTheSearchFindsMakesTheRefusedAddHarmless() throws {
        defer { root.remove() }
        let staged = "CN=WEB1," + Self.computers
        let (result, intents, directory) = try join(
            try request(),
            [
                .searchThenAdd(
                    bases: [Self.base],
                    answer: .success([[Self.account(staged, guid: 2, ["userAccountControl": ["4130"], "msDS-KeyVersionNumber": ["2"]])]]),
                    dn: Self.dn, error: Self.nameInUse),
                .modify(dn: staged, attributes: ["userAccountControl", "dNSHostName", "servicePrincipalName", "unicodePwd"]),
                .modify(dn: staged, attributes: ["msDS-SupportedEncryptionTypes", "operatingSystem", "operatingSystemVersion", "info"]),
                .modify(dn: staged, attributes: ["nTSecurityDescriptor"]),
                .login(principal: "WEB1$", answer: .success(3)),
            ])
        let joined = try result.get()
        #expect(!joined.created && joined.computerDN == staged && joined.kvno == 3)
        #expect(intents["search of \(Self.base) with the add of \(Self.dn) behind it"] == Self.dn)
        #expect(
            intents["modify of userAccountControl, dNSHostName, servicePrincipalName, unicodePwd on \(staged)"] == staged, "\(intents)")
        // The password the refused add carried is the one the reset set: the keys written are for it.
        let keys = try #require(try root.files.read("/etc/krb5.keytab"))
        #expect(try KeytabFormat.decode(keys).allSatisfy { $0.kvno == 3 })
        #expect(directory.modified[Self.dn] == nil)
    }

    /// Another host's account at the same DN: the add is refused, and the join refuses as without --ou,
    /// having changed nothing (no modify, no delete in the script) and leaving no intent record.
    @Test func anotherOwnersAccountIsRefusedAndLeftAlone() throws {
        defer { root.remove() }
        let other = AccountOwner("i-0fedcba9876543210")
        let (result, _, _) = try join(
            try request(),
            [
                .searchThenAdd(
                    bases: [Self.base], answer: .success([[Self.account(Self.dn, guid: 2, ["info": [other.recorded]])]]), dn: Self.dn,
                    error: Self.sameDN)
            ])
        guard case .failure(let error) = result else {
            Issue.record("another host's account was taken")
            return
        }
        #expect(error.status == .accountConflict)
        #expect(error.message.contains("belongs to i-0fedcba9876543210, not to this host (i-0123456789abcdef0)"), "\(error.message)")
        #expect(try JoinIntent.read(root.files) == nil)
        #expect(try root.files.read(JoinIntent.keysPath) == nil)
    }

    /// Nothing found and the add refused: today's messages (a name taken where the join user cannot
    /// see it; no right to create; an --ou that is not there), nothing to undo.
    @Test(arguments: [
        (sameDN, Status.accountConflict, "an account named WEB1$ or \(dn) already exists"),
        (
            ldapError(.insufficientAccess, "00002098: SecErr: DSID-03150F94, problem 4003 (INSUFF_ACCESS_RIGHTS)"),
            .insufficientPermissions, "needs Create Computer objects on \(ou) to create WEB1$"
        ),
        (ldapError(.noSuchObject, "no such OU"), .invalidInput, "--ou '\(ou)' is not an OU of corp.example.com"),
    ])
    func anAddRefusedWithNothingFoundFailsAsBefore(refusal: LDAPError, status: Status, message: String) throws {
        defer { root.remove() }
        let (result, _, _) = try join(
            try request(), [.searchThenAdd(bases: [Self.base], answer: .success([[]]), dn: Self.dn, error: refusal)])
        guard case .failure(let error) = result else {
            Issue.record("a refused add joined")
            return
        }
        #expect(error.status == status)
        #expect(error.message.contains(message), "\(error.message)")
        #expect(!error.message.contains("undone"), "\(error.message)")
        #expect(try JoinIntent.read(root.files) == nil)
    }

    /// A server may take the add before the search, which then finds the new account: the same
    /// objectGUID as the read behind the add, or (that read answered first) the new DN. It is this
    /// join's account, not a conflict.
    @Test(arguments: [true, false])
    func theSearchFindingTheNewAccountIsTheCreation(readBehind: Bool) throws {
        defer { root.remove() }
        let made = Self.account(Self.dn, guid: 1, ["info": [Self.owner.recorded], "msDS-KeyVersionNumber": ["1"]])
        let (result, _, _) = try join(try request(), Self.created(found: [made], read: readBehind ? [made] : []))
        let joined = try result.get()
        #expect(joined.created && joined.computerDN == Self.dn)
    }

    /// An add the DC accepted while the search found the name elsewhere cannot happen (the name is
    /// unique); if it does, the new account (this join's, with its owner marker) is deleted again and
    /// the join fails, saying where the other one is. The account found is not touched.
    @Test func anAddAcceptedBesideAnotherAccountIsTakenBack() throws {
        defer { root.remove() }
        let elsewhere = "CN=WEB1," + Self.computers
        let (result, _, _) = try join(
            try request(),
            [
                .searchThenAdd(
                    bases: [Self.base], answer: .success([[Self.account(elsewhere, guid: 2)]]), dn: Self.dn,
                    read: [Self.account(Self.dn, guid: 1)]),
                .search(base: Self.dn, entries: [LDAPEntry.scripted(Self.dn, ["info": [Self.owner.recorded]])]),
                .delete(dn: Self.dn),
            ])
        guard case .failure(let error) = result else {
            Issue.record("a join went on beside another account of its name")
            return
        }
        #expect(error.status == .accountConflict)
        #expect(error.message.contains("the DC created \(Self.dn) although its search found WEB1$ at \(elsewhere)"), "\(error.message)")
        #expect(error.message.contains("undone: \(Self.dn) is not in the directory"), "\(error.message)")
        #expect(try JoinIntent.read(root.files) == nil)
    }
}
