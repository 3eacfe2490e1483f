import Testing
import TestSupport
@testable import AdjoinCore

@Suite struct JSONParserTests {
    private func parse(_ text: String, secretKeys: Set<String> = []) throws -> JSON {
        try JSON.parse(Array(text.utf8), secretKeys: secretKeys)
    }

    @Test func readsEveryKindOfValue() throws {
        let value = try parse(
            #" { "s": "a\"b\\c\/d\b\f\n\r\t", "n": -12, "big": 9223372036854775807, "d": 1.5e3, "t": true, "f": false, "z": null, "a": [1, [], {}] } "#
        )
        #expect(value["s"]?.string == "a\"b\\c/d\u{8}\u{c}\n\r\t")
        #expect(value["n"]?.integer == -12)
        #expect(value["big"]?.integer == Int64.max)
        #expect(value["d"] == .decimal("1.5e3"))
        #expect(value["t"]?.bool == true && value["f"]?.bool == false)
        #expect(value["z"] == .null)
        #expect(value["a"]?.array?.count == 3)
        #expect(value["missing"] == nil)
    }

    @Test func decodesUnicodeEscapesAndSurrogatePairs() throws {
        #expect(try parse(#""\u00e9\u20AC\ud83d\ude00""#).string == "é€😀")
        #expect(try parse("\"é€😀\"").string == "é€😀")
    }

    @Test func keepsMemberOrderAndDuplicates() throws {
        let value = try parse(#"{"b": 1, "a": 2, "b": 3}"#)
        #expect(value.members?.map(\.0) == ["b", "a", "b"])
        #expect(value["b"]?.integer == 1)
    }

    @Test func secretMembersNeverBecomeStrings() throws {
        let value = try parse(#"{"user": "adjoiner", "inner": {"joinPassword": "p\u00e4ss\"word"}}"#, secretKeys: ["joinPassword"])
        let secret = try #require(value["inner"]?["joinPassword"]?.secret)
        #expect(secret.withUnsafeBytes { Array($0) } == Array("päss\"word".utf8))
        #expect(value["inner"]?["joinPassword"]?.string == nil)
        #expect(!value.serialized().contains("päss"))
        #expect(value["user"]?.string == "adjoiner")
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "{a:1}", "'x'", "01", "1.", "-", "1e", "tru", "nul", "[1 2]",
        "\"\u{1}\"", "\"\\x\"", "\"\\u12\"", "\"\\ud83d\"", "\"\\ude00\"", "\"abc", "{} {}", "[\"\\ud83dx\"]",
    ])
    func refusesWhatIsNotJSON(_ text: String) {
        #expect(throws: JSON.ParseError.self) { try parse(text) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSON.ParseError.self) { try JSON.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func refusesNestingBeyondTheLimit() throws {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSON.ParseError.self) { try parse(deep) }
        let fine = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try parse(fine)
    }

    @Test func errorsNameTheOffsetNotTheText() {
        do throws(JSON.ParseError) {
            _ = try JSON.parse(Array(#"{"joinPassword": "hunter2" "#.utf8), secretKeys: ["joinPassword"])
            Issue.record("parsed an unterminated object")
        } catch {
            #expect(error.offset == 27)
            #expect(!error.description.contains("hunter2"))
        }
    }

    /// What the writer writes, the parser reads back unchanged: random trees over the whole range of
    /// Unicode scalars, including every control character the writer escapes.
    @Test func readsBackWhatTheWriterWrites() throws {
        var random = SplitMix64(seed: 0xAD301)
        for _ in 0..<300 {
            let value = randomJSON(depth: 0, &random)
            for pretty in [false, true] {
                #expect(try parse(value.serialized(pretty: pretty)) == value)
            }
        }
    }

    private func randomJSON(depth: Int, _ random: inout SplitMix64) -> JSON {
        switch random.next() % (depth > 3 ? 4 : 6) {
        case 0: return .string(randomString(&random))
        case 1: return .number(Int64(bitPattern: random.next()))
        case 2: return random.next() % 2 == 0 ? .bool(random.next() % 2 == 0) : .null
        case 3: return .decimal(["0.5", "-1e-7", "3.25E+10"][Int(random.next() % 3)])
        case 4: return .array((0..<random.next() % 4).map { _ in randomJSON(depth: depth + 1, &random) })
        default: return .object((0..<random.next() % 4).map { _ in (randomString(&random), randomJSON(depth: depth + 1, &random)) })
        }
    }

    private func randomString(_ random: inout SplitMix64) -> String {
        var text = ""
        for _ in 0..<random.next() % 12 {
            let ranges: [ClosedRange<UInt32>] = [0...0x7F, 0x80...0x7FF, 0x800...0xD7FF, 0xE000...0xFFFF, 0x10000...0x10FFFF]
            let range = ranges[Int(random.next() % UInt64(ranges.count))]
            let value = range.lowerBound + UInt32(random.next() % UInt64(range.count))
            text.unicodeScalars.append(Unicode.Scalar(value)!)
        }
        return text
    }
}
