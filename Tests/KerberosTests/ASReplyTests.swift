import AdjoinCore
import Testing
@testable import Kerberos

/// DER built by hand, field by field as RFC 4120 5.4.2 lays out an AS-REP.
enum DER {
    static func element(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var length: [UInt8]
        if content.count < 0x80 {
            length = [UInt8(content.count)]
        } else {
            length = withUnsafeBytes(of: UInt32(content.count).bigEndian) { Array($0) }
            while length.first == 0 { length.removeFirst() }
            length.insert(0x80 | UInt8(length.count), at: 0)
        }
        return [tag] + length + content
    }

    static func integer(_ bytes: [UInt8]) -> [UInt8] { element(0x02, bytes) }

    /// An AS-REP whose enc-part has `kvno` (already DER INTEGER content bytes), or none.
    static func asReply(kvno: [UInt8]?, cipher: Int = 40) -> [UInt8] {
        let encryptedData = element(
            0x30,
            element(0xA0, integer([18]))
                + (kvno.map { element(0xA1, integer($0)) } ?? [])
                + element(0xA2, element(0x04, [UInt8](repeating: 0xEE, count: cipher))))
        let body =
            element(0xA0, integer([5])) + element(0xA1, integer([11]))
            + element(0xA3, element(0x1B, Array("CORP.EXAMPLE.COM".utf8)))
            + element(0xA4, element(0x30, element(0xA0, integer([1])) + element(0xA1, element(0x30, element(0x1B, Array("WEB1$".utf8))))))
            + element(0xA5, element(0x61, element(0x30, element(0xA0, integer([5])))))
            + element(0xA6, encryptedData)
        return element(0x6B, element(0x30, body))
    }
}

@Suite struct ASReplyTests {
    @Test func readsTheClientKeyVersion() throws {
        #expect(try ASReply.clientKeyVersion(DER.asReply(kvno: [1])) == 1)
        // 200 needs a leading zero byte to stay positive; a large enc-part needs the long length form.
        #expect(try ASReply.clientKeyVersion(DER.asReply(kvno: [0x00, 0xC8], cipher: 3000)) == 200)
        #expect(try ASReply.clientKeyVersion(DER.asReply(kvno: [0x00, 0xFF, 0xFF, 0xFF, 0xFF])) == UInt32.max)
    }

    @Test func aReplyWithoutKvnoGivesNil() throws {
        #expect(try ASReply.clientKeyVersion(DER.asReply(kvno: nil)) == nil)
    }

    @Test func refusesWhatIsNotAnAS_REP() {
        // A KRB-ERROR ([APPLICATION 30]) is not an AS-REP.
        var error = DER.asReply(kvno: [1])
        error[0] = 0x7E
        #expect(throws: DecodeError.self) { try ASReply.clientKeyVersion(error) }
        #expect(throws: DecodeError.self) { try ASReply.clientKeyVersion([]) }
        // Negative, or wider than 32 bits.
        #expect(throws: DecodeError.self) { try ASReply.clientKeyVersion(DER.asReply(kvno: [0x80])) }
        #expect(throws: DecodeError.self) { try ASReply.clientKeyVersion(DER.asReply(kvno: [0x01, 0x00, 0x00, 0x00, 0x00])) }
        #expect(throws: DecodeError.self) { try ASReply.clientKeyVersion(DER.asReply(kvno: [])) }
    }

    @Test func everyTruncationIsAnErrorNotACrash() {
        let reply = DER.asReply(kvno: [7], cipher: 200)
        for length in 0..<reply.count {
            #expect(throws: DecodeError.self) { try ASReply.clientKeyVersion(Array(reply.prefix(length))) }
        }
    }

    @Test func lengthsThatOverrunTheReplyAreErrors() {
        var reply = DER.asReply(kvno: [7])
        reply[1] = 0x84  // four length bytes claiming far more than is there
        reply.insert(contentsOf: [0x7F, 0xFF, 0xFF], at: 2)
        #expect(throws: DecodeError.self) { try ASReply.clientKeyVersion(reply) }
    }
}
