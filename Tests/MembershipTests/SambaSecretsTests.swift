import AdjoinCore
import Foundation
import HostConfig
import Testing
@testable import Membership

/// How the machine password reaches Samba: on standard input, never in the arguments.
@Suite struct SambaSecretsTests {
    let samba = SambaSecrets(
        files: HostFiles(root: "/srv/image"),
        configuration: SambaConfiguration.parse("[global]\nsecurity = ads\nrealm = CORP.EXAMPLE.COM\nworkgroup = CORP\n"))

    @Test func thePasswordGoesOnStandardInputAndNowhereElse() throws {
        let password = SecretBytes(Array("Pa55!word-only-on-stdin".utf8))
        let net = try #require(ChildProcess.locate("net"), "Samba's net (samba-common-bin, which scripts/test installs)")
        let command = try #require(samba.changeSecret(password))
        #expect(command.arguments == [net, "-s", "/srv/image/etc/samba/smb.conf", "changesecretpw", "-f", "-i"])
        #expect(command.standardInput === password)
        #expect(!command.arguments.joined().contains("Pa55"))
        #expect(!command.environment.joined().contains("Pa55"))
        #expect(!command.commandLine.contains("Pa55"))
    }

    @Test func theDomainSIDIsWrittenAsWindowsDoes() {
        // S-1-5-21-3732236260-1594043264-3299843588 as objectSid holds it.
        let bytes: [UInt8] = [1, 4, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 0xe4, 0x67, 0x75, 0xde, 0x80, 0x2b, 0x03, 0x5f, 0x04, 0x9e, 0xaf, 0xc4]
        #expect(DomainSID.format(bytes) == "S-1-5-21-3732236260-1594043264-3299843588")
        #expect(DomainSID.format(Array(bytes.dropLast())) == nil)
    }

    @Test func theJoinRecordKeepsTheChoiceForRotate() throws {
        var record = JoinRecord(
            domain: "corp.example.com", realm: "CORP.EXAMPLE.COM", computerName: "WEB1", hostFQDN: "web1.corp.example.com",
            computerDN: "CN=WEB1,CN=Computers,DC=corp,DC=example,DC=com", owner: "i-0123", keytabPath: "/etc/krb5.keytab",
            configured: false)
        #expect(try JoinRecord.parse(record.rendered()).updateSamba == false)
        #expect(!record.rendered().contains("update-samba"))
        record.updateSamba = true
        #expect(try JoinRecord.parse(record.rendered()).updateSamba == true)
    }
}
