import AdjoinCore
import Discovery
import Foundation
@testable import Membership
@testable import Kerberos
@testable import LDAP
import Testing
import TestSupport

/// What a join leaves when it fails after it changed the directory, against a scripted directory: an
/// account it created is deleted again and the host's files are as they were; a pre-staged account
/// is never deleted.
@Suite struct JoinRollbackTests {
    static let base = "DC=corp,DC=example,DC=com"
    static let computers = "CN=Computers," + base
    static let dn = "CN=WEB1," + computers
    static let wellKnownComputers = "<WKGUID=AA312825768811D1ADED00C04FD8D5CD,\(base)>"
    static let owner = AccountOwner("i-0123456789abcdef0")
    static let controller = FakeDirectory.controller("dc1.corp.example.com", domain: "corp.example.com")

    let root = ScratchRoot()
    let request: JoinRequest

    init() throws {
        var request = JoinRequest(
            domain: try DomainName("corp.example.com"), user: "adjoiner", password: SecretBytes(Array("Join-Pass-1".utf8)),
            hostFQDN: "web1.corp.example.com", computerName: try ComputerName(hostFQDN: "web1.corp.example.com"),
            owner: Self.owner, osRelease: OSRelease(name: "Debian GNU/Linux", version: "12"))
        request.files = root.files
        self.request = request
        // The host's keytab before the join: another service's key, which every outcome must keep.
        let foreign = KeytabEntry(
            components: ["HTTP", "web1.corp.example.com"], realm: "CORP.EXAMPLE.COM", timestamp: 1, kvno: 4,
            enctype: 18, key: SecretBytes(Array(repeating: 7, count: 32)))
        try root.files.writeOwn(KeytabFormat.encode([foreign]), to: "/etc/krb5.keytab", mode: 0o600)
    }

    static func ldapError(_ code: LDAPResultCode, _ diagnostic: String? = nil) -> LDAPError {
        LDAPError(code: code, message: "scripted", diagnostic: diagnostic, operation: "a scripted operation")
    }

    static let refused = ldapError(
        LDAPResultCode.insufficientAccess, "00002098: SecErr: DSID-03150F94, problem 4003 (INSUFF_ACCESS_RIGHTS)")
    static let wrongKeys = KerberosError(code: KerberosCode.preauthFailed, message: "Preauthentication failed", operation: "login as WEB1$")
    /// The join's first search: the account (none here, or the pre-staged one) and the computers container.
    static func find(_ existing: [LDAPEntry]) -> DirectoryStep {
        .search(bases: [base, wellKnownComputers], answer: .success([existing, [LDAPEntry.scripted(computers, [:])]]))
    }

    /// A change as "replace NAME: VALUE, ...", to compare what was sent.
    static func text(_ change: LDAPChange) -> String {
        let (verb, attribute) =
            switch change {
            case .add(let attribute): ("add", attribute)
            case .replace(let attribute): ("replace", attribute)
            case .delete(let attribute): ("delete", attribute)
            }
        let values = attribute.values.map { String(decoding: $0, as: UTF8.self) }
        return "\(verb) \(attribute.name)" + (values.isEmpty ? "" : ": " + values.joined(separator: ", "))
    }

    func join(_ directory: FakeDirectory) -> (FakeDirectoryConnector, AdjoinError?) {
        let connector = FakeDirectoryConnector(directory, [.login(principal: "adjoiner@CORP.EXAMPLE.COM")])
        do {
            _ = try DomainJoin(request, connector: connector, clock: FixedClock(1_700_000_000))
                .run(on: Self.controller, deadline: Deadline(seconds: 30))
            return (connector, nil)
        } catch {
            return (connector, error)
        }
    }

    /// A new account whose keys the DC refuses; the undo's steps follow.
    static var createdThenRefused: [DirectoryStep] {
        [
            find([]),
            .add(dn: dn),
            // The grant of self-deletion is refused (the join goes on with a warning).
            .search(base: dn, error: refused),
            .login(principal: "WEB1$", answer: .failure(wrongKeys)),
        ]
    }

    /// The undo finds the account this host's, so it goes.
    static var createdThenRefusedAndUndone: [DirectoryStep] {
        createdThenRefused + [.search(base: dn, entries: [LDAPEntry.scripted(dn, ["info": [owner.recorded]])]), .delete(dn: dn)]
    }

    @Test func anAccountTheJoinCreatedIsDeletedWhenTheKeytabsProofFails() throws {
        defer { root.remove() }
        let before = root.snapshot()
        let directory = try FakeDirectory(controller: Self.controller, realm: "CORP.EXAMPLE.COM", Self.createdThenRefusedAndUndone)
        let (connector, error) = join(directory)
        connector.finish()
        let failure = try #require(error)
        #expect(failure.status == .accessDenied)
        #expect(failure.message.contains("undone: \(Self.dn) is not in the directory"), "\(failure.message)")
        #expect(root.snapshot() == before, "the keytab as it was")
        #expect(try JoinIntent.read(root.files) == nil, "no intent record left")
        // The add carried the owner marker the undo checked.
        #expect(directory.added[Self.dn]?.first { $0.name == "info" }?.values == [Array(Self.owner.recorded.utf8)])
    }

    /// A name taken since the join looked is a conflict, whoever's marker the account carries (another host
    /// given the same --owner joins at the same moment): it is left alone, never taken back as this join's.
    @Test func anAddRefusedForATakenNameIsAConflict() throws {
        defer { root.remove() }
        let directory = try FakeDirectory(
            controller: Self.controller, realm: "CORP.EXAMPLE.COM",
            [
                Self.find([]),
                .add(dn: Self.dn, error: Self.ldapError(.alreadyExists)),
            ])
        let (connector, error) = join(directory)
        connector.finish()
        #expect(error?.status == .accountConflict, "\(String(describing: error))")
    }

    /// On a host that had no keytab and never met adjoin, the undo leaves no keytab, no kept original
    /// and no /var/lib/adjoin: a later join keeps the keytab as it finds it then.
    @Test func anUndoneFirstJoinLeavesNoStateBehind() throws {
        defer { root.remove() }
        try FileManager.default.removeItem(at: root.url)
        try FileManager.default.createDirectory(at: root.url.appendingPathComponent("etc"), withIntermediateDirectories: true)
        let before = root.snapshot()
        let directory = try FakeDirectory(controller: Self.controller, realm: "CORP.EXAMPLE.COM", Self.createdThenRefusedAndUndone)
        let (connector, error) = join(directory)
        connector.finish()
        #expect(error?.message.contains("undone: \(Self.dn) is not in the directory") == true, "\(error?.message ?? "")")
        #expect(root.snapshot() == before, "only /etc, as the host was")
    }

    /// After an earlier join's write of the keytab, its kept original (the host's keytab before adjoin)
    /// stays for leave, and the keytab is as the earlier join left it.
    @Test func anEarlierJoinsKeptOriginalStays() throws {
        defer { root.remove() }
        let earlier = KeytabEntry(
            components: ["OLD1$"], realm: "CORP.EXAMPLE.COM", timestamp: 2, kvno: 3, enctype: 18,
            key: SecretBytes(Array(repeating: 9, count: 32)))
        let original = try root.files.read("/etc/krb5.keytab")
        try root.files.write(KeytabFormat.encode([earlier]), to: "/etc/krb5.keytab", mode: 0o600)
        let before = root.snapshot()
        let directory = try FakeDirectory(controller: Self.controller, realm: "CORP.EXAMPLE.COM", Self.createdThenRefusedAndUndone)
        let (connector, error) = join(directory)
        connector.finish()
        #expect(error?.message.contains("undone") == true, "\(error?.message ?? "")")
        #expect(root.snapshot() == before)
        #expect(try root.files.keptOriginal(of: "/etc/krb5.keytab")?.content == original)
    }

    /// The keytab keeps its mode: put back from the original the join kept, or never touched when the
    /// join failed before writing it (a dropped connection after the add).
    @Test(arguments: [true, false]) func theKeytabsModeStays(keysWritten: Bool) throws {
        defer { root.remove() }
        let keytab = root.url.appendingPathComponent("etc/krb5.keytab").path
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: keytab)
        let before = root.snapshot()
        let script =
            keysWritten
            ? Self.createdThenRefusedAndUndone
            : [
                Self.find([]), .add(dn: Self.dn), .search(base: Self.dn, error: Self.ldapError(.serverDown)), .reconnect(),
                .search(base: Self.dn, entries: [LDAPEntry.scripted(Self.dn, ["info": [Self.owner.recorded]])]), .delete(dn: Self.dn),
            ]
        let directory = try FakeDirectory(controller: Self.controller, realm: "CORP.EXAMPLE.COM", script)
        let (connector, error) = join(directory)
        connector.finish()
        #expect(error?.message.contains("undone") == true, "\(error?.message ?? "")")
        #expect(try FileManager.default.attributesOfItem(atPath: keytab)[.posixPermissions] as? Int == 0o640)
        #expect(root.snapshot() == before)
    }

    /// A rerun after a join that was cut short, refused outright: the earlier intent record comes back,
    /// so status and leave still know the account the earlier run may have made.
    @Test func anInterruptedJoinsIntentRecordSurvivesARefusedRerun() throws {
        defer { root.remove() }
        let earlierKeys = [
            KeytabEntry(
                components: ["WEB1$"], realm: "CORP.EXAMPLE.COM", nameType: 1, timestamp: 1, kvno: 1,
                enctype: EncryptionType.aes256.number, key: SecretBytes([UInt8](repeating: 7, count: 32)))
        ]
        try JoinIntent.write(request, computerDN: Self.dn, keys: earlierKeys, files: root.files)
        let intent = try root.files.read(JoinIntent.path)
        let keys = try root.files.read(JoinIntent.keysPath)
        let ours = LDAPEntry.scripted(
            Self.dn, ["userAccountControl": ["4096"], "msDS-KeyVersionNumber": ["1"], "info": [Self.owner.recorded]])
        let directory = try FakeDirectory(
            controller: Self.controller, realm: "CORP.EXAMPLE.COM",
            [
                Self.find([ours]),
                .modify(dn: Self.dn, attributes: ["dNSHostName", "servicePrincipalName", "unicodePwd"], error: Self.refused),
                .modify(dn: Self.dn, attributes: ["dNSHostName"], error: Self.refused),
            ])
        let (connector, error) = join(directory)
        connector.finish()
        #expect(error?.status == .insufficientPermissions, "\(error?.message ?? "")")
        #expect(try root.files.read(JoinIntent.path) == intent)
        // And the keys the earlier run was about to write, for a plain leave to log in with.
        #expect(try root.files.read(JoinIntent.keysPath) == keys)
        #expect(root.files.mode(JoinIntent.keysPath) == 0o600)
    }

    /// An undo that cannot reach the directory keeps the intent record (a rerun completes the join,
    /// leave removes the account); the keytab is as it was.
    @Test func anUnfinishedUndoKeepsItsState() throws {
        defer { root.remove() }
        let keytabBefore = try root.files.read("/etc/krb5.keytab")
        let directory = try FakeDirectory(
            controller: Self.controller, realm: "CORP.EXAMPLE.COM",
            Self.createdThenRefused + [
                .search(base: Self.dn, error: Self.ldapError(.serverDown)),
                .reconnect(error: AdjoinError(.networkError, "scripted: the DC is gone")),
            ])
        let (connector, error) = join(directory)
        connector.finish()
        #expect(error?.message.contains("the undo could not delete \(Self.dn)") == true, "\(error?.message ?? "")")
        #expect(try JoinIntent.read(root.files)?.computerDN == Self.dn)
        #expect(try root.files.read("/etc/krb5.keytab") == keytabBefore)
    }

    @Test func aDroppedConnectionIsUndoneOverANewOne() throws {
        defer { root.remove() }
        let before = root.snapshot()
        let dropped = Self.ldapError(.serverDown)
        let directory = try FakeDirectory(
            controller: Self.controller, realm: "CORP.EXAMPLE.COM",
            [
                Self.find([]),
                .add(dn: Self.dn),
                .search(base: Self.dn, error: dropped),
                .reconnect(),
                .search(base: Self.dn, entries: [LDAPEntry.scripted(Self.dn, ["info": [Self.owner.recorded]])]),
                .delete(dn: Self.dn),
            ])
        let (connector, error) = join(directory)
        connector.finish()
        let failure = try #require(error)
        #expect(failure.status == .networkError)
        #expect(failure.message.contains("undone"), "\(failure.message)")
        #expect(root.snapshot() == before)
        #expect(try JoinIntent.read(root.files) == nil)
    }

    @Test func anAccountAnotherHostClaimedMeanwhileIsNotDeleted() throws {
        defer { root.remove() }
        let directory = try FakeDirectory(
            controller: Self.controller, realm: "CORP.EXAMPLE.COM",
            Self.createdThenRefused + [
                .search(base: Self.dn, entries: [LDAPEntry.scripted(Self.dn, ["info": [AccountOwner("i-0fedcba9876543210").recorded]])])
                // No delete: the fake fails the test if one comes.
            ])
        let (connector, error) = join(directory)
        connector.finish()
        #expect(error?.status == .accessDenied)
        #expect(
            error?.message.contains("now carries i-0fedcba9876543210's owner marker (another host took it meanwhile), so it was left alone")
                == true,
            "\(error?.message ?? "")")
        #expect(error?.message.contains("is not in the directory") == false)
    }

    /// A pre-staged account whose reset the directory refuses: nothing was changed, nothing is deleted,
    /// and the host is as it was.
    @Test func aPrestagedAccountThatRefusesTheResetIsLeftAsItWas() throws {
        defer { root.remove() }
        let before = root.snapshot()
        let prestaged = LDAPEntry.scripted(Self.dn, ["userAccountControl": ["4128"], "msDS-KeyVersionNumber": ["2"]])
        let directory = try FakeDirectory(
            controller: Self.controller, realm: "CORP.EXAMPLE.COM",
            [
                Self.find([prestaged]),
                .modify(
                    dn: Self.dn, attributes: ["userAccountControl", "dNSHostName", "servicePrincipalName", "unicodePwd"],
                    error: Self.refused),
                // Tried alone, to name the right that is missing.
                .modify(dn: Self.dn, attributes: ["userAccountControl"], error: Self.refused),
            ])
        let (connector, error) = join(directory)
        connector.finish()
        let failure = try #require(error)
        #expect(failure.status == .insufficientPermissions)
        #expect(failure.message.contains("Read and write account restrictions"), "\(failure.message)")
        #expect(root.snapshot() == before)
        #expect(try JoinIntent.read(root.files) == nil)
    }

    /// The combined modify of a pre-staged account refused; tried alone, userAccountControl and
    /// dNSHostName go through and the SPN is refused. The put-back's steps follow.
    static func spnRefusedAfterTwoWrites(_ prestaged: LDAPEntry) -> [DirectoryStep] {
        [
            find([prestaged]),
            .modify(dn: dn, attributes: ["userAccountControl", "dNSHostName", "servicePrincipalName", "unicodePwd"], error: refused),
            .modify(dn: dn, attributes: ["userAccountControl"]),
            .modify(dn: dn, attributes: ["dNSHostName"]),
            .modify(dn: dn, attributes: ["servicePrincipalName"], error: refused),
        ]
    }

    /// A pre-staged account where only the SPN is refused: what went through alone while the join looked
    /// for the missing right is put back, so the account is as the administrator staged it; where the
    /// directory refuses a put-back (dNSHostName: a validated write sets the account's own name but
    /// cannot remove it), the failure says what the account was left with.
    @Test(arguments: [false, true]) func writesThatWentThroughBeforeARefusalArePutBack(hostNameStays: Bool) throws {
        defer { root.remove() }
        let before = root.snapshot()
        let prestaged = LDAPEntry.scripted(
            Self.dn,
            [
                "userAccountControl": ["4128"], "msDS-KeyVersionNumber": ["2"],
                "servicePrincipalName": ["HTTP/web1.corp.example.com"],
            ])
        let directory = try FakeDirectory(
            controller: Self.controller, realm: "CORP.EXAMPLE.COM",
            Self.spnRefusedAfterTwoWrites(prestaged) + [
                // Latest first, each alone; the password was never written.
                .modify(dn: Self.dn, attributes: ["dNSHostName"], error: hostNameStays ? Self.refused : nil),
                .modify(dn: Self.dn, attributes: ["userAccountControl"]),
            ])
        let (connector, error) = join(directory)
        connector.finish()
        let failure = try #require(error)
        #expect(failure.status == .insufficientPermissions)
        #expect(failure.message.contains("Validated write to service principal name"), "\(failure.message)")
        let putBack = try #require(directory.modified[Self.dn]?.suffix(2))
        #expect(putBack.map(Self.text) == ["delete dNSHostName", "replace userAccountControl: 4128"])
        if hostNameStays {
            #expect(
                failure.message.hasSuffix(
                    "; written before the refusal and not put back: dNSHostName (00002098: SecErr: DSID-03150F94, "
                        + "problem 4003 (INSUFF_ACCESS_RIGHTS)); adjoin join again, with the right, completes the account"),
                "\(failure.message)")
        } else {
            #expect(!failure.message.contains("not put back"), "\(failure.message)")
        }
        #expect(root.snapshot() == before)
        #expect(try JoinIntent.read(root.files) == nil)
    }

    /// The password refused last: the SPNs the join added are taken away again, and only those.
    @Test func theSPNsPutBackAreExactlyTheOnesAdded() throws {
        defer { root.remove() }
        let prestaged = LDAPEntry.scripted(
            Self.dn,
            [
                "userAccountControl": ["4128"], "msDS-KeyVersionNumber": ["2"],
                "dNSHostName": ["web1.corp.example.com"], "servicePrincipalName": ["HTTP/web1.corp.example.com", "host/WEB1"],
            ])
        let directory = try FakeDirectory(
            controller: Self.controller, realm: "CORP.EXAMPLE.COM",
            [
                Self.find([prestaged]),
                .modify(dn: Self.dn, attributes: ["userAccountControl", "servicePrincipalName", "unicodePwd"], error: Self.refused),
                .modify(dn: Self.dn, attributes: ["userAccountControl"]),
                .modify(dn: Self.dn, attributes: ["servicePrincipalName"]),
                .modify(dn: Self.dn, attributes: ["unicodePwd"], error: Self.refused),
                .modify(dn: Self.dn, attributes: ["servicePrincipalName"]),
                .modify(dn: Self.dn, attributes: ["userAccountControl"]),
            ])
        let (connector, error) = join(directory)
        connector.finish()
        #expect(error?.message.contains("needs Reset password") == true, "\(error?.message ?? "")")
        #expect(
            directory.modified[Self.dn]?.suffix(2).map(Self.text) == [
                "delete servicePrincipalName: host/web1.corp.example.com, RestrictedKrbHost/WEB1, RestrictedKrbHost/web1.corp.example.com",
                "replace userAccountControl: 4128",
            ])
    }

    /// The DC stops answering while the writes are tried alone: the error names what went through.
    @Test func writesBeforeALostDCAreNamed() throws {
        defer { root.remove() }
        let prestaged = LDAPEntry.scripted(Self.dn, ["userAccountControl": ["4128"], "msDS-KeyVersionNumber": ["2"]])
        let directory = try FakeDirectory(
            controller: Self.controller, realm: "CORP.EXAMPLE.COM",
            [
                Self.find([prestaged]),
                .modify(
                    dn: Self.dn, attributes: ["userAccountControl", "dNSHostName", "servicePrincipalName", "unicodePwd"],
                    error: Self.refused),
                .modify(dn: Self.dn, attributes: ["userAccountControl"]),
                .modify(dn: Self.dn, attributes: ["dNSHostName"], error: Self.ldapError(.serverDown)),
            ])
        let (connector, error) = join(directory)
        connector.finish()
        #expect(error?.status == .networkError, "\(error?.message ?? "")")
        #expect(
            error?.message.hasSuffix("; written before it: userAccountControl (adjoin join again completes the account)") == true,
            "\(error?.message ?? "")")
    }

    /// A pre-staged account reset, then a failure: the account is not deleted (it was there before the
    /// join), and the intent record stays so that a rerun completes the join.
    @Test func aPrestagedAccountIsNeverDeletedAfterItsReset() throws {
        defer { root.remove() }
        let prestaged = LDAPEntry.scripted(Self.dn, ["userAccountControl": ["4128"], "msDS-KeyVersionNumber": ["2"]])
        let directory = try FakeDirectory(
            controller: Self.controller, realm: "CORP.EXAMPLE.COM",
            [
                Self.find([prestaged]),
                .modify(dn: Self.dn, attributes: ["userAccountControl", "dNSHostName", "servicePrincipalName", "unicodePwd"]),
                .modify(dn: Self.dn, attributes: ["msDS-SupportedEncryptionTypes", "operatingSystem", "operatingSystemVersion", "info"]),
                .search(base: Self.dn, error: Self.refused),
                .login(principal: "WEB1$", answer: .failure(Self.wrongKeys)),
            ])
        let (connector, error) = join(directory)
        connector.finish()
        let failure = try #require(error)
        #expect(failure.status == .accessDenied)
        #expect(!failure.message.contains("undone"), "\(failure.message)")
        #expect(try JoinIntent.read(root.files)?.computerDN == Self.dn, "the intent record stays for a rerun")
    }
}
