import AdjoinCore
import DNS
import Testing

/// Replies of the lab's Samba 4.17 DC to adjoin's GSS-TSIG exchange, captured from the connection:
/// the TKEY answer (SPNEGO's last token, signed with the new key), and the signed answers to an
/// update that replaced dnscap.corp.example.com's A record and to the one (leave's) that deleted it.
enum SambaCapture {
    static let tkeyAnswer = NsupdateCapture.bytes(
        "29dd808000010001000000010a313639373033353533390a7369672d61646a6f696e0000f900ff0a313639373033353533390a7369672d61646a6f696e0000f900ff0000000000d4086773732d74736967006b16550e6b16631e0003000000baa181b73081b4a0030a0100a10b06092a864886f712010202a2819f04819c60819906092a864886f71201020202006f8189308186a003020105a10302010fa27a3078a003020112a271046f06956d93e0f130c165772d6239fa44882a685027982702c828fb3698345cb854abb6b0b2dad2a7d5cf730572f78585e7dbd69e45d1784e1c21d620b78305921a9a61320900f839fbcdb4c5eaae600d8487bebca0ea657d2a992c5d9598ead0927f2f0cb0b6d1dad64bbb59af0c4bb200000a313639373033353533390a7369672d61646a6f696e0000fa00ff000000000036086773732d747369670000006b16550e012c001c040405ffffffffff0000000000c5e333a8b82e38420ada6a92a651d729dd00000000"
    )
    static let updateAnswer = NsupdateCapture.bytes(
        "367ba880000100000002000104636f7270076578616d706c6503636f6d000006000106646e73636170c00c000100ff000000000000c02200010001000004b000040a0906010a313639373033353533390a7369672d61646a6f696e0000fa00ff000000000036086773732d747369670000006b16550e012c001c040405ffffffffff0000000000c5e334ec76490e03152706ae3567d5367b00000000"
    )
    static let deleteAnswer = NsupdateCapture.bytes(
        "a9a3a880000100000001000104636f7270076578616d706c6503636f6d000006000106646e73636170c00c000100fe0000000000040a0906010a313637323437393230340a7369672d61646a6f696e0000fa00ff000000000036086773732d747369670000006b16550e012c001c040405ffffffffff0000000034b8b52470a7c2a62465134611b01aeea9a300000000"
    )
}

struct SambaReplyTests {
    @Test func theTKEYAnswerCarriesTheServersTokenAndIsSigned() throws {
        let message = try DNSMessage(decoding: SambaCapture.tkeyAnswer)
        #expect(message.isResponse && message.opcode == DNSMessage.opcodeQuery && message.rcode == .noError)
        let record = try #require(message.answers.first { $0.type == DNSType.tkey })
        let tkey = try TKEYRecord(record)
        #expect(tkey.keyName.hasSuffix(".sig-adjoin"))
        #expect(tkey.algorithm == TSIGRecord.gssAlgorithm && tkey.mode == TKEYRecord.gssMode && tkey.error == .noError)
        // SPNEGO's NegTokenResp ([1] constructed), with Kerberos's AP-REP inside.
        #expect(tkey.keyData.first == 0xA1 && tkey.keyData.count > 16)
        let (unsigned, signature) = try #require(try TSIG.split(SambaCapture.tkeyAnswer, message))
        #expect(signature.keyName == tkey.keyName && signature.originalID == message.id)
        #expect(Array(unsigned.prefix(2)) == Array(SambaCapture.tkeyAnswer.prefix(2)))
        #expect(unsigned[10] == 0 && unsigned[11] == 0, "ARCOUNT without the TSIG")
    }

    @Test func theUpdateAnswersAreSignedWithKerberosMICs() throws {
        for bytes in [SambaCapture.updateAnswer, SambaCapture.deleteAnswer] {
            let message = try DNSMessage(decoding: bytes)
            #expect(message.isResponse && message.opcode == DNSMessage.opcodeUpdate && message.rcode == .noError)
            #expect(message.questions == [DNSQuestion(name: "corp.example.com", type: DNSType.soa)])
            let (unsigned, signature) = try #require(try TSIG.split(bytes, message))
            #expect(signature.algorithm == "gss-tsig" && signature.error == .noError && signature.fudge == 300)
            // An RFC 4121 MIC token: TOK_ID 04 04, flags 05 (acceptor, subkey), filler, then a 12-byte checksum.
            #expect(Array(signature.mac.prefix(3)) == [0x04, 0x04, 0x05] && signature.mac.count == 28)
            #expect(unsigned.count == message.additionals.last!.offset)
        }
    }

    @Test func everyTruncationOfSambasAnswersIsRefused() {
        for whole in [SambaCapture.tkeyAnswer, SambaCapture.updateAnswer] {
            for length in 0..<whole.count {
                #expect(throws: DecodeError.self) { try DNSMessage(decoding: Array(whole.prefix(length))) }
            }
        }
    }
}

/// Samba's answers to an SOA question (no recursion asked) for an address's reverse name: where it holds
/// the reverse zone 66.10.in-addr.arpa (authoritative NXDOMAIN naming the zone's SOA), and where it holds
/// none (NXDOMAIN, not authoritative). Only the first names a zone to put a PTR record in.
struct ReverseZoneAnswerTests {
    static let held = NsupdateCapture.bytes(
        "12348483000100000001000001310332303002363602313007696e2d6164647204617270610000060001c0120006000100000e1000370364633104636f7270076578616d706c6503636f6d000a686f73746d6173746572c03a0000000100000384000002580001518000000e10"
    )
    static let notHeld = NsupdateCapture.bytes("12358083000100000000000001310332303002363702313007696e2d6164647204617270610000060001")

    @Test func anAuthoritativeAnswerNamesTheZone() throws {
        let message = try DNSMessage(decoding: Self.held)
        #expect(message.authoritativeZone(for: "1.200.66.10.in-addr.arpa") == "66.10.in-addr.arpa")
        // The zone must hold the name asked about: the same answer says nothing about another name.
        #expect(message.authoritativeZone(for: "1.200.67.10.in-addr.arpa") == nil)
        // Without the AA bit the same records are not taken for the server's own zone.
        var bent = Self.held
        bent[2] &= ~0x04
        #expect(try DNSMessage(decoding: bent).authoritativeZone(for: "1.200.66.10.in-addr.arpa") == nil)
    }

    @Test func anAnswerFromNoZoneNamesNone() throws {
        #expect(try DNSMessage(decoding: Self.notHeld).authoritativeZone(for: "1.200.67.10.in-addr.arpa") == nil)
    }
}
