import AdjoinCore
import DNS
import Testing

/// Messages as BIND's nsupdate (bind9-dnsutils) put them on the wire, captured from a UDP socket:
/// `zone corp.example.com`, `update delete web1.corp.example.com A`, `update add web1.corp.example.com 1200 A 10.1.2.3`;
/// and `update delete web1.corp.example.com A 10.1.2.3` signed with `-y hmac-sha256:test.key.:c2VjcmV0LWtleS1mb3ItdGVzdHM=`.
/// nsupdate compresses names, this project does not: they are compared decoded, and the signed one is
/// checked by recomputing its HMAC over what `TSIG.macInput` says the MAC covers.
enum NsupdateCapture {
    static let replace = bytes(
        "0e202800000100000002000004636f7270076578616d706c6503636f6d00000600010477656231c00c000100ff000000000000c02200010001000004b000040a010203"
    )
    static let signedDelete = bytes(
        "74322800000100000001000104636f7270076578616d706c6503636f6d00000600010477656231c00c000100fe0000000000040a0102030474657374036b65790000fa00ff00000000003d0b686d61632d7368613235360000006b164f37012c0020eccfe5db22f475385dccd3c181c8fa56c6bbcefd70bd20432a1a68ab45ea53ab743200000000"
    )
    static let hmacKey = Array("secret-key-for-tests".utf8)

    static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }
}

struct DNSUpdateWireTests {
    let address = SocketAddress(numericHost: "10.1.2.3", port: 0)!

    @Test func aReplaceIsTheUpdateNsupdateSends() throws {
        let captured = try DNSMessage(decoding: NsupdateCapture.replace)
        var update = DNSUpdate(zone: "corp.example.com")
        update.replace("web1.corp.example.com", with: address, ttl: 1200)
        let ours = update.message(id: captured.id)
        #expect(ours.flags == captured.flags)
        #expect(ours.opcode == DNSMessage.opcodeUpdate)
        #expect(ours.questions == captured.questions)
        #expect(ours.authorities.map(\.comparable) == captured.authorities.map(\.comparable))
        #expect(ours.answers.isEmpty && ours.additionals.isEmpty)
        // And ours reads back as itself.
        let encoded = try ours.encoded()
        #expect(try DNSMessage(decoding: encoded).authorities.map(\.comparable) == ours.authorities.map(\.comparable))
    }

    @Test func deletingOneAddressIsClassNoneWithTheAddress() throws {
        let captured = try DNSMessage(decoding: NsupdateCapture.signedDelete)
        var update = DNSUpdate(zone: "corp.example.com")
        update.delete("web1.corp.example.com", address: address)
        let ours = update.message(id: captured.id)
        #expect(ours.questions == captured.questions)
        #expect(ours.authorities.map(\.comparable) == captured.authorities.map(\.comparable))
        #expect(ours.authorities.first?.recordClass == DNSClass.none)
    }

    /// nsupdate's HMAC over what TSIG.macInput builds from its own message: the order and form of the
    /// MAC's input (message without the TSIG and with ARCOUNT lowered, then the TSIG variables) is BIND's.
    @Test func theMACInputIsWhatBINDSigns() throws {
        let message = try DNSMessage(decoding: NsupdateCapture.signedDelete)
        let (unsigned, signature) = try #require(try TSIG.split(NsupdateCapture.signedDelete, message))
        #expect(signature.keyName == "test.key")
        #expect(signature.algorithm == "hmac-sha256")
        #expect(signature.mac.count == 32)
        #expect(unsigned[11] == 0, "ARCOUNT without the TSIG")
        let input = try TSIG.macInput(message: unsigned, signature: signature)
        #expect(SHA256.hmac(key: NsupdateCapture.hmacKey, message: input) == signature.mac)
        // The same input with the variables in another order, or the key name not in canonical form, does not match.
        var upper = signature
        upper.keyName = "Test.Key"
        #expect(try TSIG.macInput(message: unsigned, signature: upper) == input, "names are lower-cased for the MAC")
        var otherFudge = signature
        otherFudge.fudge = 301
        #expect(
            SHA256.hmac(key: NsupdateCapture.hmacKey, message: try TSIG.macInput(message: unsigned, signature: otherFudge)) != signature.mac
        )
    }

    /// Appending a signature reproduces nsupdate's signed message byte for byte after its own unsigned part.
    @Test func appendingTheSignatureGivesBINDsBytes() throws {
        let message = try DNSMessage(decoding: NsupdateCapture.signedDelete)
        let (unsigned, signature) = try #require(try TSIG.split(NsupdateCapture.signedDelete, message))
        #expect(try TSIG.appending(signature, to: unsigned) == NsupdateCapture.signedDelete)
    }

    /// A response's MAC input starts with the request's MAC and its length (RFC 2845 4.2), or, as
    /// Samba signs, with the MAC alone.
    @Test func aResponseCoversTheRequestMAC() throws {
        let signature = TSIGRecord(keyName: "k.example", timeSigned: 0x0102_0304_0506, fudge: 300, originalID: 7)
        let message: [UInt8] = Array(repeating: 0, count: 12)
        let variables = try signature.variables()
        #expect(try TSIG.macInput(message: message, signature: signature, requestMAC: [9, 9, 9]) == [0, 3, 9, 9, 9] + message + variables)
        #expect(
            try TSIG.macInput(message: message, signature: signature, requestMAC: [9, 9, 9], requestMACLength: false) == [9, 9, 9] + message
                + variables)
        #expect(
            variables == [
                1, 0x6B, 7, 0x65, 0x78, 0x61, 0x6D, 0x70, 0x6C, 0x65, 0, 0x00, 0xFF, 0, 0, 0, 0,
                8, 0x67, 0x73, 0x73, 0x2D, 0x74, 0x73, 0x69, 0x67, 0, 1, 2, 3, 4, 5, 6, 0x01, 0x2C, 0, 0, 0, 0,
            ])
    }

    @Test func aTKEYQueryCarriesTheTokenInTheAdditionalSection() throws {
        let tkey = TKEYRecord(keyName: "123.sig-adjoin", inception: 100, expiration: 3700, keyData: [0xAA, 0xBB])
        let bytes = try tkey.query(id: 0x4242).encoded()
        let decoded = try DNSMessage(decoding: bytes)
        #expect(decoded.questions == [DNSQuestion(name: "123.sig-adjoin", type: DNSType.tkey, recordClass: DNSClass.any)])
        #expect(decoded.additionals.count == 1)
        #expect(try TKEYRecord(decoded.additionals[0]) == tkey)
        // Algorithm, inception, expiration, mode 3, error, key size and data, other size.
        #expect(
            decoded.additionals[0].data == [8] + Array("gss-tsig".utf8) + [
                0, 0, 0, 0, 100, 0, 0, 0x0E, 0x74, 0, 3, 0, 0, 0, 2, 0xAA, 0xBB, 0, 0,
            ])
    }

    @Test func reverseNames() {
        #expect(DNSUpdate.reverseName(of: address) == "3.2.1.10.in-addr.arpa")
        let v6 = SocketAddress(numericHost: "2001:db8::1", port: 0)!
        #expect(DNSUpdate.reverseName(of: v6) == "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")
    }
}

extension DNSRecord {
    /// Everything but where the record sat in its message.
    var comparable: String { "\(owner) \(type) \(recordClass) \(ttl) \(data)" }
}
