import AdjoinCore
import DNS
import Testing

/// Replies come from the network: every cut or bent one is refused, never read past its end.
struct DNSReplyDecodingTests {
    @Test func everyTruncationIsRefused() throws {
        let whole = NsupdateCapture.signedDelete
        _ = try DNSMessage(decoding: whole)
        for length in 0..<whole.count {
            #expect(throws: DecodeError.self, "cut at \(length)") { try DNSMessage(decoding: Array(whole.prefix(length))) }
        }
    }

    @Test func trailingBytesAreRefused() {
        #expect(throws: DecodeError.self) { try DNSMessage(decoding: NsupdateCapture.signedDelete + [0]) }
    }

    @Test func countsBeyondTheRecordsAreRefused() {
        var bent = NsupdateCapture.replace
        bent[9] = 3  // three update records where there are two
        #expect(throws: DecodeError.self) { try DNSMessage(decoding: bent) }
    }

    @Test func aTSIGRecordWhoseLengthsLieIsRefused() throws {
        let message = try DNSMessage(decoding: NsupdateCapture.signedDelete)
        var record = try #require(message.additionals.last)
        record.data.removeLast(2)
        record.data += [0, 1]  // other length 1, with nothing after it
        #expect(throws: DecodeError.self) { try TSIGRecord(record) }
        var long = try #require(message.additionals.last)
        long.data.append(0)
        #expect(throws: DecodeError.self) { try TSIGRecord(long) }
    }

    /// A TSIG must be the message's last record (RFC 2845 4.6): one elsewhere is refused, not skipped.
    @Test func aTSIGThatIsNotLastIsRefused() throws {
        var message = try DNSMessage(decoding: NsupdateCapture.signedDelete)
        let tsig = try #require(message.additionals.last)
        message.additionals.removeLast()
        message.answers = [tsig]
        let bytes = try message.encoded()
        #expect(throws: DecodeError.self) { try TSIG.split(bytes, try DNSMessage(decoding: bytes)) }
    }

    @Test func aCompressionLoopIsRefused() {
        // Header with one question whose name points at itself.
        let looping: [UInt8] = [0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1]
        #expect(throws: DecodeError.self) { try DNSMessage(decoding: looping) }
    }

    @Test func namesThatCannotBeSentAreRefused() {
        var update = DNSUpdate(zone: "corp.example.com")
        update.add(
            String(repeating: "a", count: 64) + ".corp.example.com", address: SocketAddress(numericHost: "10.0.0.1", port: 0)!, ttl: 1)
        #expect(throws: DNSEncodeError.self) { try update.message(id: 1).encoded() }
        var empty = DNSUpdate(zone: "corp..example.com")
        empty.add("x", address: SocketAddress(numericHost: "10.0.0.1", port: 0)!, ttl: 1)
        #expect(throws: DNSEncodeError.self) { try empty.message(id: 1).encoded() }
    }
}
