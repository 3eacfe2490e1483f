import AdjoinCore
import TestSupport
import Testing
@testable import Discovery

@Suite struct DNSAnswerTests {
    /// An SRV answer as Samba's DNS writes it: the question, two SRV records whose targets are
    /// compressed against the question, and A records for the targets in the additional section.
    static func srvMessage() -> [UInt8] {
        var bytes = Wire.be16(0x1234) + Wire.be16(0x8400) + Wire.be16(1) + Wire.be16(2) + Wire.be16(0) + Wire.be16(2)
        let questionOffset = bytes.count
        bytes += Wire.name("_ldap._tcp.dc._msdcs.corp.example.com") + Wire.be16(33) + Wire.be16(1)
        let domainOffset = questionOffset + 1 + 5 + 1 + 4 + 1 + 2 + 1 + 6  // "corp.example.com" inside the question
        let pointerToQuestion: [UInt8] = [0xC0, UInt8(questionOffset)]
        func srv(priority: UInt16, weight: UInt16, host: String) -> [UInt8] {
            let target = [UInt8(host.utf8.count)] + Array(host.utf8) + [0xC0, UInt8(domainOffset)]
            let data = Wire.be16(priority) + Wire.be16(weight) + Wire.be16(389) + target
            return pointerToQuestion + Wire.be16(33) + Wire.be16(1) + [0, 0, 2, 88] + Wire.be16(UInt16(data.count)) + data
        }
        bytes += srv(priority: 0, weight: 100, host: "dc1")
        bytes += srv(priority: 10, weight: 100, host: "dc2")
        bytes += Wire.name("dc1.corp.example.com") + Wire.be16(1) + Wire.be16(1) + [0, 0, 2, 88] + Wire.be16(4) + [127, 0, 0, 10]
        bytes +=
            Wire.name("DC2.corp.example.com") + Wire.be16(28) + Wire.be16(1) + [0, 0, 2, 88] + Wire.be16(16)
            + [0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20]
        return bytes
    }

    @Test func parsesSRVAndAdditionalAddresses() throws {
        let answer = try DNSAnswer(message: Self.srvMessage())
        #expect(
            answer.srv == [
                SRVRecord(priority: 0, weight: 100, port: 389, target: "dc1.corp.example.com"),
                SRVRecord(priority: 10, weight: 100, port: 389, target: "dc2.corp.example.com"),
            ])
        #expect(answer.addresses["dc1.corp.example.com"] == ["127.0.0.10"])
        #expect(answer.addresses["dc2.corp.example.com"] == ["fd00::20"])
    }

    @Test func everyTruncationIsAnError() {
        let message = Self.srvMessage()
        for length in 0..<message.count {
            #expect(throws: DecodeError.self, "prefix of \(length) bytes") {
                try DNSAnswer(message: Array(message.prefix(length)))
            }
        }
    }

    @Test func recordCountsBeyondTheMessageAreErrors() {
        var message = Self.srvMessage()
        message[7] = 200  // 200 answers claimed
        #expect(throws: DecodeError.self) { try DNSAnswer(message: message) }
    }

    @Test func randomMutationsNeverCrash() {
        var generator = SplitMix64(seed: 42)
        let valid = Self.srvMessage()
        for _ in 0..<20_000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? DNSAnswer(message: bytes)
        }
    }
}

@Suite struct SRVOrderingTests {
    @Test func lowerPriorityAlwaysComesFirst() {
        let records = [
            SRVRecord(priority: 20, weight: 1000, port: 389, target: "c"),
            SRVRecord(priority: 0, weight: 0, port: 389, target: "a"),
            SRVRecord(priority: 10, weight: 5, port: 389, target: "b"),
        ]
        var generator = SplitMix64(seed: 1)
        for _ in 0..<200 {
            #expect(SRVOrdering.ordered(records, using: &generator).map(\.target) == ["a", "b", "c"])
        }
    }

    @Test func weightDecidesTheOddsWithinAPriority() {
        let records = [
            SRVRecord(priority: 0, weight: 10, port: 389, target: "light"),
            SRVRecord(priority: 0, weight: 90, port: 389, target: "heavy"),
            SRVRecord(priority: 5, weight: 50, port: 389, target: "backup"),
        ]
        var generator = SplitMix64(seed: 7)
        var heavyFirst = 0
        let rounds = 10_000
        for _ in 0..<rounds {
            let order = SRVOrdering.ordered(records, using: &generator).map(\.target)
            #expect(order.count == 3)
            #expect(order.last == "backup")
            if order.first == "heavy" { heavyFirst += 1 }
        }
        // Expected 90% (RFC 2782 picks from 0...total, so weight 90 of 100 wins 90/101 of draws + ties).
        #expect((8_600...9_300).contains(heavyFirst), "heavy first \(heavyFirst) of \(rounds)")
    }

    @Test func zeroWeightRecordsAreRarelyFirst() {
        let records = [
            SRVRecord(priority: 0, weight: 0, port: 389, target: "zero"),
            SRVRecord(priority: 0, weight: 100, port: 389, target: "hundred"),
        ]
        var generator = SplitMix64(seed: 9)
        let zeroFirst = (0..<10_000).filter { _ in SRVOrdering.ordered(records, using: &generator).first?.target == "zero" }.count
        #expect(zeroFirst > 0 && zeroFirst < 300, "zero-weight first \(zeroFirst) times")
    }

    @Test func dotTargetMeansNoService() {
        let records = [SRVRecord(priority: 0, weight: 0, port: 0, target: ".")]
        #expect(SRVOrdering.ordered(records).isEmpty)
    }
}
