import AdjoinCore
import Testing
@testable import Kerberos

@Suite struct KeytabFormatTests {
    func entry(_ components: [String], kvno: UInt32 = 3, enctype: Int32 = 18, key: [UInt8] = Array(0..<32)) -> KeytabEntry {
        KeytabEntry(
            components: components, realm: "CORP.EXAMPLE.COM", nameType: components.count == 1 ? 1 : 3,
            timestamp: 1_700_000_000, kvno: kvno, enctype: enctype, key: SecretBytes(key))
    }

    @Test func roundTrips() throws {
        let original = [entry(["WEB1$"]), entry(["host", "web1.corp.example.com"], kvno: 300, enctype: 17, key: Array(0..<16))]
        let bytes = KeytabFormat.encode(original)
        #expect(Array(bytes.prefix(2)) == [0x05, 0x02])
        let decoded = try KeytabFormat.decode(bytes)
        #expect(decoded.map(\.principal) == ["WEB1$@CORP.EXAMPLE.COM", "host/web1.corp.example.com@CORP.EXAMPLE.COM"])
        #expect(decoded.map(\.kvno) == [3, 300])  // 300 survives through the 32-bit kvno field
        #expect(decoded.map(\.enctype) == [18, 17])
        #expect(decoded.map(\.nameType) == [1, 3])
        #expect(decoded[1].key.withUnsafeBytes { Array($0) } == Array(0..<16))
    }

    @Test func skipsHolesLeftByDeletedEntries() throws {
        let one = KeytabFormat.encode([entry(["A$"])])
        let hole: [UInt8] = [0xFF, 0xFF, 0xFF, 0xF8] + [UInt8](repeating: 0, count: 8)  // size -8
        let bytes = one + hole
        #expect(try KeytabFormat.decode(bytes).count == 1)
    }

    @Test func truncationsAndBadVersionsAreErrors() {
        let bytes = KeytabFormat.encode([entry(["WEB1$"])])
        for length in 1..<bytes.count where length != 2 {
            #expect(throws: DecodeError.self, "prefix of \(length)") { try KeytabFormat.decode(Array(bytes.prefix(length))) }
        }
        #expect(throws: DecodeError.self) { try KeytabFormat.decode([0x05, 0x01]) }
    }

    @Test func saltOfAComputerAccount() {
        // MS-KILE 3.1.1.2: realm upper-case, "host", name without '$' lower-case, ".", realm lower-case.
        #expect(ADSalt.computer(samAccountName: "WEB1$", realm: "CORP.EXAMPLE.COM") == "CORP.EXAMPLE.COMhostweb1.corp.example.com")
    }

    @Test func supportedEncryptionTypesBits() {
        #expect(EncryptionType.supportedEncryptionTypes([.aes256, .aes128]) == 24)
        #expect(EncryptionType.supportedEncryptionTypes([.aes256, .aes128, .rc4]) == 28)
    }

    @Test func keyDerivationFollowsTheSalt() throws {
        let context = try KerberosContext(profile: KerberosProfile())
        let password = SecretBytes(Array("password".utf8))
        let a = try context.deriveKey(.aes256, password: password, salt: "CORP.EXAMPLE.COMhostweb1.corp.example.com").withUnsafeBytes {
            Array($0)
        }
        let b = try context.deriveKey(.aes256, password: password, salt: "CORP.EXAMPLE.COMhostweb2.corp.example.com").withUnsafeBytes {
            Array($0)
        }
        let short = try context.deriveKey(.aes128, password: password, salt: "x").withUnsafeBytes { Array($0) }
        let rc4 = try context.deriveKey(.rc4, password: password, salt: "").withUnsafeBytes { Array($0) }
        #expect(a.count == 32 && short.count == 16 && a != b)
        // RC4's key is MD4 of the UTF-16LE password: the NT hash of "password" is well known.
        #expect(rc4.hexString == "8846f7eaee8fb117ad06bdd830b7586c")
    }
}
