import AdjoinCore
import Discovery
import Foundation
import HostConfig
import Kerberos
import Testing
import TestSupport
@testable import Membership

@Suite struct JoinRecordTests {
    static var record: JoinRecord {
        var record = JoinRecord(
            domain: "corp.example.com", realm: "CORP.EXAMPLE.COM", computerName: "WEB1", hostFQDN: "web1.corp.example.com",
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

    /// Issue 22: `--dns-server ip:port` was recorded without its port, and leave, rotate and status
    /// then asked port 53. The record keeps the port (none for 53), for the join and its intent alike,
    /// and what reads it back asks the same address and port; an older record's bare address is port 53.
    @Test func dnsServersKeepTheirPortsThroughTheRecord() throws {
        let root = ScratchRoot()
        defer { root.remove() }
        let servers = [
            SocketAddress(numericHost: "127.0.0.1", port: 5353)!, SocketAddress(numericHost: "fd00::2", port: 5354)!,
            SocketAddress(numericHost: "10.0.0.2", port: 53)!,
        ]
        var request = JoinRequest(
            domain: try .init("corp.example.com"), user: "adjoiner", password: SecretBytes(Array("x".utf8)),
            hostFQDN: "web1.corp.example.com", computerName: try ComputerName(hostFQDN: "web1.corp.example.com"),
            owner: AccountOwner("i-0123456789abcdef0"), osRelease: OSRelease(name: "Debian GNU/Linux", version: "12"))
        request.dnsServers = servers
        request.files = root.files
        let result = JoinResult(
            domain: "corp.example.com", computerName: "WEB1", computerDN: "CN=WEB1,DC=corp,DC=example,DC=com",
            domainController: "dc1", kvno: 1, created: true, keytabPath: "/etc/krb5.keytab", encryptionTypes: [.aes256])
        let record = JoinRecord(request, result, configured: false)
        #expect(record.dnsServers == ["127.0.0.1:5353", "[fd00::2]:5354", "10.0.0.2"])
        #expect(try JoinRecord.parse(record.rendered()).dnsServerAddresses == servers)

        for write in [
            { try record.write(root.files) }, { try JoinIntent.write(request, computerDN: "CN=WEB1", keys: [], files: root.files) },
        ]
            as [() throws -> Void]
        {
            _ = try? root.files.remove(JoinRecord.path)
            try write()
            let connector = DNSServerRecorder()
            var place = DirectoryPlace(files: root.files)
            place.connector = connector
            let host = try JoinedHost(place: place, progress: { _ in }, acceptingInterrupted: true)
            #expect(throws: AdjoinError.self) { try host.locateController(required: [.ldap], deadline: Deadline(seconds: 5)) }
            #expect(connector.asked.withLock { $0 } == servers)
        }
    }

    /// The DNS record the join registered travels with the record, with where its address came from; a
    /// record without a source (none written so) is taken as given, which never moves.
    @Test func dnsRecordRoundTrips() throws {
        var record = Self.record
        #expect(try JoinRecord.parse(record.rendered()).dnsRecord == nil)
        record.dnsRecord = HostAddressRecord(name: "web1.corp.example.com", address: "10.0.0.12", source: .instance)
        let text = record.rendered()
        #expect(text.contains("\ndns-name=web1.corp.example.com\ndns-address=10.0.0.12\ndns-address-source=instance\n"))
        #expect(try JoinRecord.parse(text) == record)
        let sourceless = text.replacingOccurrences(of: "dns-address-source=instance\n", with: "")
        #expect(try JoinRecord.parse(sourceless).dnsRecord?.source == .given)
    }

    /// Who may log in travels with the record: groups, none, or not recorded (an older adjoin's record).
    @Test func loginAccessRoundTrips() throws {
        var record = Self.record
        #expect(try JoinRecord.parse(record.rendered()).access == nil)
        record.access = LoginAccess(allowedGroups: ["linux-admins", "Domain Admins"], sudoGroup: "linux-admins")
        #expect(
            record.rendered().contains(
                "\nlogin-access=groups\nallow-group=linux-admins\nallow-group=Domain Admins\nsudo-group=linux-admins\n"))
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
        let scratch = ScratchRoot("adjoin-record")
        defer { scratch.remove() }
        let root = scratch.url
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

/// Records the DNS servers a locate is given, then refuses, loudly: nothing else may be asked of it.
final class DNSServerRecorder: DirectoryConnector, @unchecked Sendable {
    let asked = Locked<[SocketAddress]>([])

    func locate(
        _ domain: DomainName, domainControllers: [HostPort], dnsServers: [SocketAddress], required: DCFlags,
        progress: @escaping ProgressSink, deadline: Deadline
    ) throws(AdjoinError) -> DomainController {
        asked.withLock { $0 = dnsServers }
        throw AdjoinError(.networkError, "the DNS server recorder locates nothing")
    }

    func open(
        realm: String, as credential: DirectoryCredential, controller: DomainController, deadline: Deadline,
        progress: (String) -> Void
    ) throws(AdjoinError) -> any Directory {
        throw AdjoinError(.unknownError, "the DNS server recorder did not expect a login")
    }
}
