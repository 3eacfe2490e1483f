import AdjoinCore
import Testing
@testable import Discovery

/// A reply captured from the lab's Samba 4.17 AD DC (Debian 12) to the ping that `LDAPPing.request`
/// builds, so the decoder is checked against bytes a real DC wrote, not only against our own builder.
@Suite struct SambaReplyFixtureTests {
    static let captured = bytes(
        fromHex: """
            307a020101647504003071306f04086e65746c6f676f6e3163046117000000fd130000442fc27602afff459c9461e51f
            630c5d04636f7270076578616d706c6503636f6d00c01803646331c01804434f5250000344433100001744656661756c
            742d46697273742d536974652d4e616d6500c03e05000000ffffffff300c02010165070a010004000400
            """)

    @Test func decodesTheCapturedReply() throws {
        #expect(try LDAPPing.messageID(ofReply: Self.captured) == 1)
        let value = try #require(try LDAPPing.netlogonValue(fromReply: Self.captured))
        let reply = try NetlogonResponse(decoding: value)
        #expect(reply.opcode == NetlogonResponse.opcodeResponse)
        #expect(reply.forest == "corp.example.com")
        #expect(reply.domain == "corp.example.com")
        #expect(reply.hostName == "dc1.corp.example.com")
        #expect(reply.netbiosDomain == "CORP")
        #expect(reply.netbiosComputerName == "DC1")
        #expect(reply.dcSite == "Default-First-Site-Name")
        #expect(reply.clientSite == "Default-First-Site-Name")
        #expect(reply.flags.rawValue == 0x13FD)
        #expect(reply.flags.names == ["pdc", "gc", "ldap", "ds", "kdc", "timeserv", "closest", "writable", "good-timeserv", "full-secret"])
        #expect(reply.ntVersion == 5)
        // The objectGUID of DC=corp,DC=example,DC=com in that DC's sam.ldb, as Samba's own GUID type prints it.
        #expect(reply.domainGUIDString == "76c22f44-af02-45ff-9c94-61e51f630c5d")
    }

    @Test func everyTruncationOfTheCapturedReplyIsAnError() {
        // The first LDAPMessage (the entry) ends at byte 124; the searchResDone after it is not needed.
        for length in 0..<124 {
            #expect(throws: DecodeError.self, "prefix of \(length) bytes") {
                let value = try LDAPPing.netlogonValue(fromReply: Array(Self.captured.prefix(length)))
                _ = try NetlogonResponse(decoding: value ?? [])
            }
        }
    }

    static func bytes(fromHex text: String) -> [UInt8] {
        let digits = text.filter(\.isHexDigit).map { UInt8(String($0), radix: 16)! }
        return stride(from: 0, to: digits.count - 1, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }
}
