import AdjoinCore
import TestSupport
import Testing
@testable import Discovery

@Suite struct NetlogonResponseTests {
    @Test func decodesAWindowsStyleReplyWithCompression() throws {
        let reply = try NetlogonResponse(decoding: Wire.netlogon())
        #expect(reply.opcode == 23)
        #expect(reply.forest == "corp.example.com")
        #expect(reply.domain == "corp.example.com")
        #expect(reply.hostName == "dc1.corp.example.com")
        #expect(reply.netbiosDomain == "CORP")
        #expect(reply.netbiosComputerName == "DC1")
        #expect(reply.userName == "")
        #expect(reply.dcSite == "Default-First-Site-Name")
        #expect(reply.clientSite == "Default-First-Site-Name")
        #expect(reply.ntVersion == LDAPPing.ntVersion | 1)
        #expect(reply.domainGUIDString == "00112233-4455-6677-8899-aabbccddeeff")
    }

    @Test func namesFlagsInBitOrder() throws {
        let reply = try NetlogonResponse(decoding: Wire.netlogon(flags: 0x0000_01FD))
        #expect(reply.flags.names == ["pdc", "gc", "ldap", "ds", "kdc", "timeserv", "closest", "writable"])
        #expect(reply.flags.contains([.ldap, .kdc, .writable]))
        #expect(!reply.flags.contains(.readOnly))
    }

    @Test func everyTruncationIsAnErrorNotACrash() {
        let full = Wire.netlogon()
        // Everything up to ClientSiteName is mandatory; the trailer may be cut.
        let mandatory = full.count - 8
        for length in 0..<mandatory {
            #expect(throws: DecodeError.self, "prefix of \(length) bytes") {
                try NetlogonResponse(decoding: Array(full.prefix(length)))
            }
        }
        #expect((try? NetlogonResponse(decoding: Array(full.prefix(mandatory))))?.ntVersion == nil)
    }

    @Test func rejectsOtherOpcodes() {
        #expect(throws: DecodeError.self) { try NetlogonResponse(decoding: Wire.netlogon(opcode: 19)) }
    }

    @Test func pointerLoopIsAnError() {
        var bytes = Wire.le16(23) + Wire.le16(0) + Wire.le32(0) + Wire.guid
        let here = bytes.count
        bytes += [0xC0, UInt8(here)]  // points at itself
        let error = #expect(throws: DecodeError.self) { try NetlogonResponse(decoding: bytes) }
        #expect(error?.reason.contains("loop") == true)
    }

    @Test func pointerPastTheEndIsAnError() {
        let bytes = Wire.le16(23) + Wire.le16(0) + Wire.le32(0) + Wire.guid + [0xC0, 0xFF]
        let error = #expect(throws: DecodeError.self) { try NetlogonResponse(decoding: bytes) }
        #expect(error?.reason.contains("past the end") == true)
    }

    @Test func labelLongerThanTheBufferIsAnError() {
        let bytes = Wire.le16(23) + Wire.le16(0) + Wire.le32(0) + Wire.guid + [63, 0x41, 0x42]
        #expect(throws: DecodeError.self) { try NetlogonResponse(decoding: bytes) }
    }

    @Test func reservedLabelTypesAreErrors() {
        for head: UInt8 in [0x40, 0x80] {
            let bytes = Wire.le16(23) + Wire.le16(0) + Wire.le32(0) + Wire.guid + [head, 0]
            #expect(throws: DecodeError.self) { try NetlogonResponse(decoding: bytes) }
        }
    }

    @Test func overlongNamesAreErrors() {
        // 5 labels of 63 bytes: 320 bytes, past RFC 1035's 255.
        let label = [UInt8(63)] + [UInt8](repeating: 0x61, count: 63)
        let bytes = Wire.le16(23) + Wire.le16(0) + Wire.le32(0) + Wire.guid + Array(repeating: label, count: 5).flatMap { $0 } + [0]
        let error = #expect(throws: DecodeError.self) { try NetlogonResponse(decoding: bytes) }
        #expect(error?.reason.contains("longer than 255") == true)
    }

    @Test func controlCharactersInNamesAreEscaped() throws {
        var bytes = Wire.le16(23) + Wire.le16(0) + Wire.le32(0) + Wire.guid
        bytes += [5, 0x1B, 0x5B, 0x32, 0x4A, 0x07, 0]  // forest: ESC [ 2 J BEL
        bytes += Wire.name("corp.example.com") + [4] + Array("a.b\\".utf8) + [0]
        bytes += [0, 0, 0, 0] + [2, 0xFF, 0xFE, 0]  // ..., ClientSiteName: not UTF-8
        let reply = try NetlogonResponse(decoding: bytes)
        #expect(reply.forest == "\\027[2J\\007")
        #expect(reply.hostName == "a\\.b\\\\")
        #expect(reply.clientSite == "\\255\\254")
        #expect(!reply.forest.unicodeScalars.contains { $0.value < 0x20 })
    }

    @Test func randomMutationsNeverCrash() {
        var generator = SplitMix64(seed: 0x5EED)
        let valid = Wire.netlogon()
        for _ in 0..<20_000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[position] = UInt8.random(in: 0...255, using: &generator)
            }
            if Bool.random(using: &generator) { bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator))) }
            _ = try? NetlogonResponse(decoding: bytes)
            _ = try? LDAPPing.netlogonValue(fromReply: Wire.pingReply(messageID: 1, netlogon: bytes))
        }
    }
}
