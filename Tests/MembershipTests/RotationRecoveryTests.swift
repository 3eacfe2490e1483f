import AdjoinCore
import Discovery
import Foundation
@testable import Membership
@testable import Kerberos
@testable import LDAP
import Testing
import TestSupport

/// `adjoin rotate` when the kpasswd server's answer is lost, against a scripted directory: the
/// directory's kvno tells whether the change was made, and when it was, the host keeps the new keys.
@Suite struct RotationRecoveryTests {
    static let dn = "CN=WEB1,CN=Computers,DC=corp,DC=example,DC=com"
    static let now: Int64 = 1_700_000_000
    static let controller = FakeDirectory.controller("dc1.corp.example.com", domain: "corp.example.com")
    static let lost = KerberosError(
        code: KerberosCode.kdcUnreachable, message: "Cannot contact any KDC for realm", operation: "password change")

    let root = ScratchRoot()
    let record: JoinRecord
    let oldKeys: [KeytabEntry]

    init() throws {
        var record = JoinRecord(
            domain: "corp.example.com", realm: "CORP.EXAMPLE.COM", computerName: "WEB1", hostFQDN: "web1.corp.example.com",
            computerDN: Self.dn, owner: "i-0123456789abcdef0", keytabPath: "/etc/krb5.keytab", configured: false)
        record.encryptionTypes = ["aes256-cts-hmac-sha1-96"]
        self.record = record
        try record.write(root.files)
        oldKeys = record.keytab(files: root.files).principals.map {
            KeytabEntry(
                components: $0.components, realm: "CORP.EXAMPLE.COM", nameType: $0.nameType, timestamp: 1, kvno: 5, enctype: 18,
                key: SecretBytes(Array(repeating: 5, count: 32)))
        }
        try root.files.write(KeytabFormat.encode(oldKeys), to: "/etc/krb5.keytab", mode: 0o600)
    }

    /// The account as the machine reads it: at `kvno`, its password set 40 days before `now`.
    static func account(kvno: UInt32) -> LDAPEntry {
        let pwdLastSet = (now - 40 * 86_400 + 11_644_473_600) * 10_000_000
        return LDAPEntry(
            dn: dn,
            attributes: [
                "distinguishedname": [Array(dn.utf8)], "msds-keyversionnumber": [Array(String(kvno).utf8)],
                "pwdlastset": [Array(String(pwdLastSet).utf8)],
            ])
    }

    func rotate(_ steps: [DirectoryStep]) throws -> (FakeDirectoryConnector, Result<RotationResult, AdjoinError>) {
        let directory = try FakeDirectory(controller: Self.controller, realm: "CORP.EXAMPLE.COM", steps)
        let connector = FakeDirectoryConnector(
            directory, [.locate(domain: "corp.example.com"), .login(principal: "WEB1$@CORP.EXAMPLE.COM")])
        var place = DirectoryPlace(files: root.files)
        place.connector = connector
        place.clock = FixedClock(Self.now)
        let result = Result { () throws(AdjoinError) -> RotationResult in
            try PasswordRotation(place: place, maximumAgeDays: 30).run(
                deadline: Deadline(seconds: 30),
                identity: CurrentIdentity(files: root.files, instance: nil))
        }
        connector.finish()
        return (connector, result)
    }

    func keytab() throws -> [KeytabEntry] {
        try KeytabFormat.decode(try #require(try root.files.read("/etc/krb5.keytab")))
    }

    @Test func aChangeWhoseAnswerWasLostIsFoundByItsKvnoAndItsKeysKept() throws {
        defer { root.remove() }
        let (connector, outcome) = try rotate([
            .search(base: "DC=corp,DC=example,DC=com", entries: [Self.account(kvno: 5)]),
            .changePassword(principal: "WEB1$@CORP.EXAMPLE.COM", error: Self.lost),
            // The recovery's read: the DC holds a new password.
            .search(base: Self.dn, entries: [Self.account(kvno: 6)]),
            .login(principal: "WEB1$", answer: .success(6)),
            .search(base: Self.dn, entries: [Self.account(kvno: 6)]),
        ])
        let result = try outcome.get()
        #expect(result.status == .rotated)
        #expect(result.previousKeyVersion == 5 && result.keyVersion == 6)
        #expect(result.passwordAgeDays == 40, "the age comes from the clock given")
        #expect(result.keytabKeyVersions == [5, 6])

        // The keys at kvno 6 are those of the password the change sent, stamped with the clock's time.
        let password = try #require(connector.directory.newPasswords.first)
        let expected = try connector.directory.deriveKey(
            .aes256, password: password,
            salt: ADSalt.computer(samAccountName: "WEB1$", realm: "CORP.EXAMPLE.COM"))
        let new = try keytab().filter { $0.kvno == 6 }
        #expect(new.count == oldKeys.count)
        #expect(new.allSatisfy { $0.key.bytes == expected.bytes && $0.timestamp == UInt32(Self.now) })
        #expect(try keytab().filter { $0.kvno == 5 }.count == oldKeys.count, "the previous kvno's keys stay")
    }

    @Test func aLostAnswerWithTheKvnoUnchangedFailsAndKeepsTheOldKeys() throws {
        defer { root.remove() }
        let before = try root.files.read("/etc/krb5.keytab")
        let (_, outcome) = try rotate([
            .search(base: "DC=corp,DC=example,DC=com", entries: [Self.account(kvno: 5)]),
            .changePassword(principal: "WEB1$@CORP.EXAMPLE.COM", error: Self.lost),
            .search(base: Self.dn, entries: [Self.account(kvno: 5)]),
        ])
        guard case .failure(let error) = outcome else {
            Issue.record("a change the DC never made was taken for done")
            return
        }
        #expect(error.status == .networkError, "\(error)")
        #expect(try root.files.read("/etc/krb5.keytab") == before)
    }

    @Test func aPasswordYoungerThanTheMaximumAgeIsNotChanged() throws {
        defer { root.remove() }
        // 40 days old against --max-age 30 rotates; the clock moved back 20 days makes it 20 days old.
        let directory = try FakeDirectory(
            controller: Self.controller, realm: "CORP.EXAMPLE.COM",
            [
                .search(base: "DC=corp,DC=example,DC=com", entries: [Self.account(kvno: 5)])
            ])
        let connector = FakeDirectoryConnector(
            directory, [.locate(domain: "corp.example.com"), .login(principal: "WEB1$@CORP.EXAMPLE.COM")])
        var place = DirectoryPlace(files: root.files)
        place.connector = connector
        place.clock = FixedClock(Self.now - 20 * 86_400)
        let result = try PasswordRotation(place: place, maximumAgeDays: 30)
            .run(deadline: Deadline(seconds: 30), identity: CurrentIdentity(files: root.files, instance: nil))
        connector.finish()
        #expect(result.status == .notDue)
        #expect(result.passwordAgeDays == 20)
    }
}

extension SecretBytes {
    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}
