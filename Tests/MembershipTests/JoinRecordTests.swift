import AdjoinCore
import Foundation
import HostConfig
import Kerberos
import Testing
@testable import Membership

@Suite struct JoinRecordTests {
    static var record: JoinRecord {
        var record = JoinRecord(domain: "corp.example.com", realm: "CORP.EXAMPLE.COM", computerName: "WEB1", hostFQDN: "web1.corp.example.com",
                                computerDN: "CN=WEB1,OU=Linux Servers,DC=corp,DC=example,DC=com", owner: "i-0123456789abcdef0",
                                keytabPath: "/etc/krb5.keytab", configured: true)
        record.domainControllers = ["dc1.corp.example.com", "10.0.0.2:389"]
        record.dnsServers = ["10.0.0.2"]
        record.encryptionTypes = ["aes256-cts-hmac-sha1-96", "aes128-cts-hmac-sha1-96"]
        return record
    }

    @Test func roundTrips() throws {
        let text = Self.record.rendered()
        #expect(text.contains("\ndomain-controller=dc1.corp.example.com\ndomain-controller=10.0.0.2:389\n"))
        #expect(try JoinRecord.parse(text) == Self.record)
        #expect(Self.record.machinePrincipal == "WEB1$@CORP.EXAMPLE.COM")
        #expect(Self.record.keytabEncryptionTypes == [.aes256, .aes128])
    }

    /// Who may log in travels with the record: groups, none, or not recorded (an older adjoin's record).
    @Test func loginAccessRoundTrips() throws {
        var record = Self.record
        #expect(try JoinRecord.parse(record.rendered()).access == nil)
        record.access = LoginAccess(allowedGroups: ["linux-admins", "Domain Admins"], sudoGroup: "linux-admins")
        #expect(record.rendered().contains("\nlogin-access=groups\nallow-group=linux-admins\nallow-group=Domain Admins\nsudo-group=linux-admins\n"))
        #expect(try JoinRecord.parse(record.rendered()) == record)
        record.access = LoginAccess(allowedGroups: [], sudoGroup: nil)
        #expect(try JoinRecord.parse(record.rendered()).access == LoginAccess(allowedGroups: [], sudoGroup: nil))
        // The sshd drop-in the join wrote, for status.
        #expect(!record.rendered().contains("ssh="))
        record.access = LoginAccess(allowedGroups: ["linux-admins"], sudoGroup: nil, ssh: true)
        #expect(record.rendered().contains("\nallow-group=linux-admins\nssh=yes\n"))
        #expect(try JoinRecord.parse(record.rendered()).access?.ssh == true)
    }

    @Test func aLineBreakInAValueCannotAddAKey() throws {
        var record = Self.record
        record.computerDN = "CN=X\nowner=someone-else"
        #expect(try JoinRecord.parse(record.rendered()).owner == "i-0123456789abcdef0")
    }

    @Test func aRecordWithoutTheAccountIsRefused() {
        #expect(throws: AdjoinError.self) { try JoinRecord.parse("domain=corp.example.com\nrealm=CORP.EXAMPLE.COM\n") }
    }

    @Test func writtenUnderTheRootAndReadBack() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("adjoin-record-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: root) }
        let files = HostFiles(root: root.path)
        #expect(try JoinRecord.read(files) == nil)
        try Self.record.write(files)
        #expect(try JoinRecord.read(files) == Self.record)
        // adjoin's own state: no original kept for leave to put back.
        #expect(try files.keptOriginals().isEmpty)
    }

    @Test func keytabEntriesCompareByPrincipalVersionTypeAndKey() {
        func entry(_ name: String, kvno: UInt32, key: [UInt8]) -> KeytabEntry {
            KeytabEntry(components: [name], realm: "R", timestamp: 0, kvno: kvno, enctype: 18, key: SecretBytes(key))
        }
        let a = [entry("a", kvno: 1, key: [1, 2]), entry("b", kvno: 2, key: [3])]
        #expect(HostCleanup.sameEntries(a, [entry("b", kvno: 2, key: [3]), entry("a", kvno: 1, key: [1, 2])]))
        #expect(!HostCleanup.sameEntries(a, [entry("a", kvno: 1, key: [1, 2]), entry("b", kvno: 2, key: [4])]))
        #expect(!HostCleanup.sameEntries(a, [entry("a", kvno: 1, key: [1, 2]), entry("b", kvno: 3, key: [3])]))
        #expect(!HostCleanup.sameEntries(a, [entry("a", kvno: 1, key: [1, 2])]))
    }

    @Test func remoteLeaveAcceptsOnlyOwnerIDs() {
        #expect(RemoteLeave.isValidOwner("i-0123456789abcdef0"))
        #expect(RemoteLeave.isValidOwner("machine:5010a8482393de74"))
        for bad in ["", "i-0*", "a)(info=*", "x y", String(repeating: "a", count: 65)] {
            #expect(!RemoteLeave.isValidOwner(bad), "\(bad)")
        }
    }
}
