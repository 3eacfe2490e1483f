import AdjoinCore
import Discovery
import Foundation
@testable import Kerberos
@testable import LDAP
@testable import Membership
import Testing
import TestSupport

/// The account operations without a host (AccountPreset) and the one-time-password join, against a
/// scripted directory that fails on any call it did not expect.
@Suite struct OneTimePasswordTests {
    static let base = "DC=corp,DC=example,DC=com"
    static let computers = "CN=Computers," + base
    static let dn = "CN=WEB1," + computers
    static let wellKnownComputers = "<WKGUID=AA312825768811D1ADED00C04FD8D5CD,\(base)>"
    static let owner = AccountOwner("i-0123456789abcdef0")
    static let stranger = AccountOwner("i-0fedcba9876543210")
    static let controller = FakeDirectory.controller("dc1.corp.example.com", domain: "corp.example.com")
    static let realm = "CORP.EXAMPLE.COM"
    static let machine = "WEB1$@CORP.EXAMPLE.COM"
    static let refused = LDAPError(
        code: .insufficientAccess, message: "scripted", diagnostic: "00002098: INSUFF_ACCESS_RIGHTS",
        operation: "a scripted operation")
    static let wrongPassword = KerberosError(code: .preauthFailed, message: "Preauthentication failed", operation: "login as WEB1$")

    static func find(_ existing: [LDAPEntry]) -> DirectoryStep {
        .search(bases: [base, wellKnownComputers], answer: .success([existing, [LDAPEntry.scripted(computers, [:])]]))
    }

    /// The account as a preset leaves it, with `info` as given.
    static func preset(info: [String]) -> LDAPEntry {
        LDAPEntry.scripted(
            dn,
            [
                "userAccountControl": ["4096"], "dNSHostName": ["web1.corp.example.com"],
                "servicePrincipalName": [
                    "host/WEB1", "host/web1.corp.example.com", "RestrictedKrbHost/WEB1", "RestrictedKrbHost/web1.corp.example.com",
                ],
                "msDS-SupportedEncryptionTypes": ["24"], "msDS-KeyVersionNumber": ["1"], "info": info,
            ])
    }

    func target(owner: AccountOwner?) throws -> AccountTarget {
        AccountTarget(
            domain: try DomainName("corp.example.com"), computerName: try ComputerName(hostFQDN: "web1.corp.example.com"),
            hostFQDN: "web1.corp.example.com", owner: owner, organizationalUnit: nil, osRelease: nil, actor: "adjoiner@CORP.EXAMPLE.COM")
    }

    func preset(_ directory: FakeDirectory, owner: AccountOwner?, oneTime: SecretBytes) throws -> Result<AccountPreset.Outcome, AdjoinError>
    {
        let preset = AccountPreset(try target(owner: owner), password: SecretBytes([]))
        do throws(AdjoinError) {
            return .success(try preset.run(session: directory, oneTimePassword: oneTime, deadline: Deadline(seconds: 30)))
        } catch {
            return .failure(error)
        }
    }

    @Test func aPresetCreatesAWorkstationWithTheOneTimePasswordAndNothingOfAHost() throws {
        let directory = try FakeDirectory(
            controller: Self.controller, realm: Self.realm,
            [
                Self.find([]), .add(dn: Self.dn),
                // The self-deletion grant refused: a warning, not a failure.
                .search(base: Self.dn, error: Self.refused),
            ])
        let oneTime = SecretBytes(Array("One-Time-1".utf8))
        let outcome = try preset(directory, owner: Self.owner, oneTime: oneTime).get()
        directory.script.finish()
        #expect(outcome.created)
        #expect(outcome.computerDN == Self.dn)
        #expect(outcome.warnings.count == 1 && outcome.warnings[0].contains("adjoin leave will need --user"), "\(outcome.warnings)")
        let added = try #require(directory.added[Self.dn])
        #expect(
            added.map(\.name) == [
                "objectClass", "sAMAccountName", "dNSHostName", "servicePrincipalName", "msDS-SupportedEncryptionTypes",
                "info", "userAccountControl", "unicodePwd",
            ], "no operatingSystem: a preset has no host")
        #expect(added.first { $0.name == "userAccountControl" }?.values == [Array("4096".utf8)])
        #expect(added.first { $0.name == "info" }?.values == [Array(Self.owner.recorded.utf8)])
        let unicodePwd = try #require(added.first { $0.name == "unicodePwd" }?.secret)
        #expect(
            unicodePwd.withUnsafeBytes { Array($0) } == MachinePassword.unicodePwd(oneTime).withUnsafeBytes { Array($0) },
            "the account's password is the one-time password")
    }

    @Test func aPresetWithoutOwnerRecordsNoMarker() throws {
        let directory = try FakeDirectory(
            controller: Self.controller, realm: Self.realm,
            [
                Self.find([]), .add(dn: Self.dn), .search(base: Self.dn, error: Self.refused),
            ])
        _ = try preset(directory, owner: nil, oneTime: SecretBytes(Array("One-Time-1".utf8))).get()
        directory.script.finish()
        #expect(directory.added[Self.dn]?.contains { $0.name == "info" } == false)
    }

    /// Another owner's account: refused before any write (the script has none to answer).
    @Test func aPresetNeverResetsAnotherOwnersAccount() throws {
        for owner in [Self.owner, nil] {
            let directory = try FakeDirectory(
                controller: Self.controller, realm: Self.realm,
                [
                    Self.find([Self.preset(info: [Self.stranger.recorded])])
                ])
            let result = try preset(directory, owner: owner, oneTime: SecretBytes(Array("One-Time-1".utf8)))
            directory.script.finish()
            guard case .failure(let error) = result else { Issue.record("another owner's account was reset"); continue }
            #expect(error.status == .accountConflict)
            #expect(error.message.contains(Self.stranger.value))
        }
    }

    /// This owner's account is reset: only its password, since the rest is as a preset leaves it.
    @Test func aPresetResetsItsOwnersAccountToANewOneTimePassword() throws {
        let directory = try FakeDirectory(
            controller: Self.controller, realm: Self.realm,
            [
                Self.find([Self.preset(info: [Self.owner.recorded])]),
                .modify(dn: Self.dn, attributes: ["unicodePwd"]),
                .search(base: Self.dn, error: Self.refused),
            ])
        let outcome = try preset(directory, owner: Self.owner, oneTime: SecretBytes(Array("One-Time-2".utf8))).get()
        directory.script.finish()
        #expect(!outcome.created)
    }

    /// An account with no owner marker may be a working host that another tool joined: never reset, with or without --owner.
    @Test func aPresetNeverResetsAnUnmarkedAccount() throws {
        for owner in [Self.owner, nil] {
            let directory = try FakeDirectory(controller: Self.controller, realm: Self.realm, [Self.find([Self.preset(info: [])])])
            let result = try preset(directory, owner: owner, oneTime: SecretBytes(Array("One-Time-2".utf8)))
            directory.script.finish()
            guard case .failure(let error) = result else { Issue.record("an unmarked account was reset"); continue }
            #expect(error.status == .accountConflict)
            #expect(error.message.contains("no owner marker"), "\(error.message)")
        }
    }

    // MARK: the one-time-password join

    let root = ScratchRoot()

    func request() throws -> JoinRequest {
        var request = JoinRequest(
            domain: try DomainName("corp.example.com"), user: "WEB1$", password: SecretBytes(Array("One-Time-1".utf8)),
            hostFQDN: "web1.corp.example.com", computerName: try ComputerName(hostFQDN: "web1.corp.example.com"),
            owner: Self.owner, osRelease: OSRelease(name: "Debian GNU/Linux", version: "12"))
        request.files = root.files
        request.oneTimePassword = true
        return request
    }

    func join(_ directory: FakeDirectory) throws -> (FakeDirectoryConnector, Result<JoinResult, AdjoinError>) {
        let connector = FakeDirectoryConnector(directory, [.login(principal: Self.machine)])
        let request = try request()
        do throws(AdjoinError) {
            return (
                connector,
                .success(
                    try DomainJoin(request, connector: connector, clock: FixedClock(1_700_000_000))
                        .run(on: Self.controller, deadline: Deadline(seconds: 30)))
            )
        } catch {
            return (connector, .failure(error))
        }
    }

    /// Only what is missing is written (as the machine: no operatingSystem), then the password is
    /// changed, then the keys of the new password are written at the DC's kvno and proven.
    @Test func theJoinLogsInAsTheMachineChangesItsPasswordAndWritesTheNewKeys() throws {
        defer { root.remove() }
        // Preset by hand, without dNSHostName and SPNs: the machine writes them on itself.
        let bare = LDAPEntry.scripted(
            Self.dn,
            [
                "userAccountControl": ["4096"], "msDS-SupportedEncryptionTypes": ["24"],
                "msDS-KeyVersionNumber": ["1"], "info": [Self.owner.recorded],
            ])
        let directory = try FakeDirectory(
            controller: Self.controller, realm: Self.realm,
            [
                Self.find([bare]),
                .modify(dn: Self.dn, attributes: ["dNSHostName", "servicePrincipalName"]),
                .changePassword(principal: Self.machine),
                .search(base: Self.dn, entries: [LDAPEntry.scripted(Self.dn, ["msDS-KeyVersionNumber": ["2"]])]),
                .login(principal: "WEB1$", answer: .success(2)),
                .search(base: Self.dn, error: Self.refused),
            ])
        let (connector, result) = try join(directory)
        connector.finish()
        let joined = try result.get()
        #expect(joined.kvno == 2)
        #expect(!joined.created)
        let password = try #require(directory.newPasswords.first)
        #expect(password.count == 120)
        let entries = try KeytabFormat.decode(try #require(try root.files.read("/etc/krb5.keytab")))
        let machine = try #require(entries.first { $0.components == ["WEB1$"] && $0.enctype == EncryptionType.aes256.number })
        #expect(machine.kvno == 2)
        let expected = try directory.deriveKey(
            .aes256, password: password, salt: ADSalt.computer(samAccountName: "WEB1$", realm: Self.realm))
        #expect(machine.key.withUnsafeBytes { Array($0) } == expected.withUnsafeBytes { Array($0) }, "the keys are the new password's")
    }

    /// An account pre-staged by hand as ADUC does it ("password not required"): the machine may not
    /// change its userAccountControl, and the join goes on with a warning instead of failing.
    @Test func aUserAccountControlTheMachineMayNotWriteIsAWarning() throws {
        defer { root.remove() }
        let staged = LDAPEntry.scripted(
            Self.dn,
            [
                "userAccountControl": ["4128"], "dNSHostName": ["web1.corp.example.com"],
                "servicePrincipalName": [
                    "host/WEB1", "host/web1.corp.example.com", "RestrictedKrbHost/WEB1",
                    "RestrictedKrbHost/web1.corp.example.com",
                ],
                "msDS-SupportedEncryptionTypes": ["24"], "msDS-KeyVersionNumber": ["1"], "info": [Self.owner.recorded],
            ])
        let directory = try FakeDirectory(
            controller: Self.controller, realm: Self.realm,
            [
                Self.find([staged]),
                .modify(dn: Self.dn, attributes: ["userAccountControl"], error: Self.refused),
                .changePassword(principal: Self.machine),
                .search(base: Self.dn, entries: [LDAPEntry.scripted(Self.dn, ["msDS-KeyVersionNumber": ["2"]])]),
                .login(principal: "WEB1$", answer: .success(2)),
                .search(base: Self.dn, error: Self.refused),
            ])
        let (connector, result) = try join(directory)
        connector.finish()
        let joined = try result.get()
        #expect(joined.warnings.contains { $0.contains("may not write userAccountControl") }, "\(joined.warnings)")
    }

    /// An account another owner marks: refused before the password changes (no change is scripted), the host untouched.
    @Test func anotherOwnersAccountIsRefusedBeforeThePasswordChanges() throws {
        defer { root.remove() }
        let before = root.snapshot()
        let directory = try FakeDirectory(
            controller: Self.controller, realm: Self.realm, [Self.find([Self.preset(info: [Self.stranger.recorded])])])
        let (connector, result) = try join(directory)
        connector.finish()
        guard case .failure(let error) = result else { Issue.record("joined another owner's account"); return }
        #expect(error.status == .accountConflict)
        #expect(root.snapshot() == before)
    }

    /// A one-time password that no longer logs in is ACCESS_DENIED, saying to preset again; nothing stays on the host.
    @Test func aOneTimePasswordThatNoLongerWorksIsAccessDenied() throws {
        defer { root.remove() }
        let before = root.snapshot()
        let directory = try FakeDirectory(
            controller: Self.controller, realm: Self.realm,
            [
                Self.find([Self.preset(info: [Self.owner.recorded])]),
                .changePassword(principal: Self.machine, error: Self.wrongPassword),
            ])
        let (connector, result) = try join(directory)
        connector.finish()
        guard case .failure(let error) = result else { Issue.record("joined with a refused one-time password"); return }
        #expect(error.status == .accessDenied)
        #expect(error.message.contains("preset the account again"), "\(error.message)")
        #expect(root.snapshot() == before)
    }

    /// The password changed but the keys do not prove: the keytab is put back, and the message says the
    /// one-time password is spent.
    @Test func aFailureAfterTheChangeSaysToPresetAgain() throws {
        defer { root.remove() }
        let before = root.snapshot()
        let directory = try FakeDirectory(
            controller: Self.controller, realm: Self.realm,
            [
                Self.find([Self.preset(info: [Self.owner.recorded])]),
                .changePassword(principal: Self.machine),
                .search(base: Self.dn, entries: [LDAPEntry.scripted(Self.dn, ["msDS-KeyVersionNumber": ["2"]])]),
                .login(principal: "WEB1$", answer: .failure(Self.wrongPassword)),
            ])
        let (connector, result) = try join(directory)
        connector.finish()
        guard case .failure(let error) = result else { Issue.record("a keytab that does not prove joined"); return }
        #expect(error.message.contains("no longer logs in: have the account preset again"), "\(error.message)")
        #expect(root.snapshot() == before, "the keytab as it was, no intent record")
    }
}
