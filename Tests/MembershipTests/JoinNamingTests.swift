import AdjoinCore
import Discovery
import Foundation
@testable import Membership
@testable import Kerberos
@testable import LDAP
import Testing
import TestSupport

/// Computer names as the join uses them, against a scripted directory: a long FQDN's name that
/// collides with another host's account is refused, a pre-staged account is joined under its name.
/// Expected hashes are computed independently (Python's hashlib).
@Suite struct JoinNamingTests {
    static let controller = FakeDirectory.controller("dc1.corp.example.com", domain: "corp.example.com")
    static let owner = AccountOwner("i-0123456789abcdef0")

    @Test func aLongLabelsSuffixIsAHashOfTheWholeFQDN() throws {
        #expect(try ComputerName(hostFQDN: "web-frontend-prod-01.corp.example.com").value == "WEB-FRONTE-CP5Q")
        // The same first label in another domain is another host.
        #expect(try ComputerName(hostFQDN: "web-frontend-prod-01.lab.example.com").value == "WEB-FRONTE-SF34")
    }

    @Test func theMachineIdentityIsTheHashOfTheRootsMachineID() throws {
        let root = ScratchRoot()
        defer { root.remove() }
        try root.files.writeOwn(Array("0123456789abcdef0123456789abcdef\n".utf8), to: "/etc/machine-id", mode: 0o444)
        #expect(try AccountOwner.machine(files: root.files).value == "machine:326d4f746275e843")
        try root.files.writeOwn(Array("fedcba9876543210fedcba9876543210\n".utf8), to: "/etc/machine-id", mode: 0o444)
        #expect(try AccountOwner.machine(files: root.files).value == "machine:7ba8f9240d800d66")
    }

    func request(_ fqdn: String, name: ComputerName? = nil, root: ScratchRoot) throws -> JoinRequest {
        var request = JoinRequest(
            domain: try DomainName("corp.example.com"), user: "adjoiner", password: SecretBytes(Array("Join-Pass-1".utf8)),
            hostFQDN: fqdn, computerName: try name ?? ComputerName(hostFQDN: fqdn), owner: Self.owner,
            osRelease: OSRelease(name: "Debian GNU/Linux", version: "12"))
        request.files = root.files
        return request
    }

    static func find(_ existing: LDAPEntry) -> DirectoryStep {
        .search(
            bases: ["DC=corp,DC=example,DC=com", "<WKGUID=AA312825768811D1ADED00C04FD8D5CD,DC=corp,DC=example,DC=com>"],
            answer: .success([[existing], [LDAPEntry.scripted("CN=Computers,DC=corp,DC=example,DC=com", [:])]]))
    }

    /// Two long FQDNs whose names share the hash suffix (odds of one in a million): the second host finds
    /// the first one's account and is refused, with nothing written.
    @Test func aNameThatCollidesWithAnotherHostsAccountIsRefused() throws {
        let root = ScratchRoot()
        defer { root.remove() }
        let request = try request("web-frontend-prod-01.corp.example.com", root: root)
        let dn = "CN=WEB-FRONTE-CP5Q,CN=Computers,DC=corp,DC=example,DC=com"
        let other = AccountOwner("i-0fedcba9876543210")
        let directory = try FakeDirectory(
            controller: Self.controller, realm: "CORP.EXAMPLE.COM",
            [
                Self.find(LDAPEntry.scripted(dn, ["info": [other.recorded], "msDS-KeyVersionNumber": ["7"]]))
            ])
        let connector = FakeDirectoryConnector(directory, [.login(principal: "adjoiner@CORP.EXAMPLE.COM")])
        do {
            _ = try DomainJoin(request, connector: connector).run(on: Self.controller, deadline: Deadline(seconds: 30))
            Issue.record("a host was given another host's account")
        } catch {
            #expect(error.status == .accountConflict)
            #expect(error.message.contains("belongs to i-0fedcba9876543210, not to this host (i-0123456789abcdef0)"), "\(error.message)")
        }
        connector.finish()
        #expect(try JoinIntent.read(root.files) == nil)
        #expect(try root.files.read("/etc/krb5.keytab") == nil)
    }

    /// A pre-staged account whose DACL the join user may read and write: the account search brought the
    /// DACL along, so the grant is one write, with no search of its own (the script fails on one).
    @Test func aDACLTheSearchReadIsGrantedWithoutAnotherRead() throws {
        let root = ScratchRoot()
        defer { root.remove() }
        let request = try request("db8.corp.example.com", name: try ComputerName(explicit: "db8"), root: root)
        let dn = "CN=DB8,OU=Database Servers,DC=corp,DC=example,DC=com"
        let directory = try FakeDirectory(
            controller: Self.controller, realm: "CORP.EXAMPLE.COM",
            [
                Self.find(
                    LDAPEntry(
                        dn: dn,
                        attributes: [
                            "useraccountcontrol": [Array("4130".utf8)], "msds-keyversionnumber": [Array("2".utf8)],
                            "ntsecuritydescriptor": [SelfDeletionGrantTests.beforeGrant],
                        ])),
                .modify(dn: dn, attributes: ["userAccountControl", "dNSHostName", "servicePrincipalName", "unicodePwd"]),
                .modify(dn: dn, attributes: ["msDS-SupportedEncryptionTypes", "operatingSystem", "operatingSystemVersion", "info"]),
                .modify(dn: dn, attributes: ["nTSecurityDescriptor"]),
                .login(principal: "DB8$", answer: .success(3)),
            ])
        let connector = FakeDirectoryConnector(directory, [.login(principal: "adjoiner@CORP.EXAMPLE.COM")])
        let result = try DomainJoin(request, connector: connector, clock: FixedClock(1_700_000_000))
            .run(on: Self.controller, deadline: Deadline(seconds: 30))
        connector.finish()
        #expect(!result.warnings.contains { $0.contains("adjoin leave will need --user") }, "\(result.warnings)")
        #expect(
            directory.modified[dn]?.contains {
                if case .replace(let a) = $0 {
                    a.name == "nTSecurityDescriptor" && a.values == [SelfDeletionGrantTests.stored]
                } else {
                    false
                }
            } == true)
    }

    /// The grant's write goes out before the keytab's proof and its answer is read after it: the
    /// machine's Kerberos exchange overlaps the LDAP write instead of waiting for it (issue 23).
    @Test func theGrantsAnswerIsReadAfterTheKeytabsProof() throws {
        let root = ScratchRoot()
        defer { root.remove() }
        let request = try request("db8.corp.example.com", name: try ComputerName(explicit: "db8"), root: root)
        let dn = "CN=DB8,OU=Database Servers,DC=corp,DC=example,DC=com"
        let directory = try FakeDirectory(
            controller: Self.controller, realm: "CORP.EXAMPLE.COM",
            [
                Self.find(
                    LDAPEntry(
                        dn: dn,
                        attributes: [
                            "useraccountcontrol": [Array("4130".utf8)], "msds-keyversionnumber": [Array("2".utf8)],
                            "ntsecuritydescriptor": [SelfDeletionGrantTests.beforeGrant],
                        ])),
                .modify(dn: dn, attributes: ["userAccountControl", "dNSHostName", "servicePrincipalName", "unicodePwd"]),
                .modify(dn: dn, attributes: ["msDS-SupportedEncryptionTypes", "operatingSystem", "operatingSystemVersion", "info"]),
                .modify(dn: dn, attributes: ["nTSecurityDescriptor"]),
                .login(principal: "DB8$", answer: .success(3)),
            ])
        let connector = FakeDirectoryConnector(directory, [.login(principal: "adjoiner@CORP.EXAMPLE.COM")])
        _ = try DomainJoin(request, connector: connector, clock: FixedClock(1_700_000_000)).run(
            on: Self.controller, deadline: Deadline(seconds: 30))
        connector.finish()
        #expect(
            directory.overlaps == [
                "sent modify of nTSecurityDescriptor on \(dn)", "keytab login as DB8$",
                "answer of modify of nTSecurityDescriptor on \(dn)",
            ])
    }

    /// An administrator created DB7 in an OU of their choosing, with no owner: the join takes it under
    /// that name, where it is, sets its password and attributes, and keys the keytab at the next kvno.
    @Test func aPrestagedAccountIsJoinedWhereItIsUnderItsName() throws {
        let root = ScratchRoot()
        defer { root.remove() }
        let request = try request("db7.corp.example.com", name: try ComputerName(explicit: "db7"), root: root)
        let dn = "CN=DB7,OU=Database Servers,DC=corp,DC=example,DC=com"
        let directory = try FakeDirectory(
            controller: Self.controller, realm: "CORP.EXAMPLE.COM",
            [
                Self.find(LDAPEntry.scripted(dn, ["userAccountControl": ["4130"], "msDS-KeyVersionNumber": ["2"]])),
                .modify(dn: dn, attributes: ["userAccountControl", "dNSHostName", "servicePrincipalName", "unicodePwd"]),
                .modify(dn: dn, attributes: ["msDS-SupportedEncryptionTypes", "operatingSystem", "operatingSystemVersion", "info"]),
                // Its DACL is the administrator's: the grant of self-deletion is refused, with a warning.
                .search(
                    base: dn,
                    error: LDAPError(
                        code: LDAPResultCode.insufficientAccess, message: "Insufficient access", diagnostic: nil,
                        operation: "search")),
                .login(principal: "DB7$", answer: .success(3)),
            ])
        let connector = FakeDirectoryConnector(directory, [.login(principal: "adjoiner@CORP.EXAMPLE.COM")])
        let result = try DomainJoin(request, connector: connector, clock: FixedClock(1_700_000_000))
            .run(on: Self.controller, deadline: Deadline(seconds: 30))
        connector.finish()
        #expect(result.computerName == "DB7" && result.computerDN == dn)
        #expect(!result.created && !result.keysKept)
        #expect(result.kvno == 3)
        #expect(result.warnings.contains { $0.contains("adjoin leave will need --user") }, "\(result.warnings)")
        let changes = directory.modified[dn] ?? []
        #expect(
            changes.contains {
                if case .replace(let a) = $0 { a.name == "userAccountControl" && a.values == [Array("4096".utf8)] } else { false }
            },
            "enabled, as a workstation")
        #expect(
            changes.contains {
                if case .replace(let a) = $0 { a.name == "info" && a.values == [Array(Self.owner.recorded.utf8)] } else { false }
            })
        let keytab = try KeytabFormat.decode(try #require(try root.files.read("/etc/krb5.keytab")))
        #expect(Set(keytab.map(\.principal)).contains("DB7$@CORP.EXAMPLE.COM"))
        #expect(keytab.allSatisfy { $0.kvno == 3 && $0.timestamp == 1_700_000_000 })
    }
}
