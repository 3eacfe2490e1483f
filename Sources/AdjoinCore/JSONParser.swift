#if canImport(Glibc)
    import Glibc
#endif

/// Reads RFC 8259 JSON into `JSON`. The agent reads JSON from AWS (responses, instance metadata) and
/// from its settings parameter, which holds the join password: the values of `secretKeys` are decoded
/// straight into `SecretBytes` (`.secret`), so the password never becomes a String that cannot be wiped.
struct JSONParser {
    private let bytes: UnsafeRawBufferPointer
    private let secretKeys: Set<String>
    private var position = 0
    /// Deep enough for any document the agent reads; bounded so hostile input cannot exhaust the stack.
    static let maximumDepth = 64

    init(_ bytes: UnsafeRawBufferPointer, secretKeys: Set<String>) {
        self.bytes = bytes
        self.secretKeys = secretKeys
    }

    mutating func document() throws(JSON.ParseError) -> JSON {
        skipWhitespace()
        let value = try self.value(depth: 0, secret: false)
        skipWhitespace()
        guard position == bytes.count else { throw fail("unexpected text after the JSON value") }
        return value
    }

    private func fail(_ reason: String) -> JSON.ParseError { JSON.ParseError(offset: position, reason: reason) }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(JSON.ParseError) {
        guard current == byte else { throw fail("expected \(what)") }
        position += 1
    }

    private mutating func value(depth: Int, secret: Bool) throws(JSON.ParseError) -> JSON {
        guard depth < JSONParser.maximumDepth else { throw fail("nested more than \(JSONParser.maximumDepth) levels deep") }
        guard let byte = current else { throw fail("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""):
            if secret { return .secret(try secretString()) }
            return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("expected a value")
        }
    }

    private mutating func literal(_ word: StaticString, _ value: JSON) throws(JSON.ParseError) -> JSON {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count,
            (0..<count).allSatisfy({ bytes[position + $0] == word.utf8Start[$0] })
        else {
            throw fail("expected a value")
        }
        position += count
        return value
    }

    private mutating func object(depth: Int) throws(JSON.ParseError) -> JSON {
        position += 1
        var members: [(String, JSON)] = []
        skipWhitespace()
        if current == UInt8(ascii: "}") { position += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw fail("expected a member name in quotes") }
            let key = try string()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after a member name")
            skipWhitespace()
            members.append((key, try value(depth: depth + 1, secret: secretKeys.contains(key) || secretKeys.contains(JSON.everyMember))))
            skipWhitespace()
            if current == UInt8(ascii: "}") { position += 1; return .object(members) }
            try expect(UInt8(ascii: ","), "',' or '}' in an object")
        }
    }

    private mutating func array(depth: Int) throws(JSON.ParseError) -> JSON {
        position += 1
        var items: [JSON] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { position += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1, secret: false))
            skipWhitespace()
            if current == UInt8(ascii: "]") { position += 1; return .array(items) }
            try expect(UInt8(ascii: ","), "',' or ']' in an array")
        }
    }

    private mutating func number() throws(JSON.ParseError) -> JSON {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        guard let first = current, first.isDigit else { throw fail("expected a digit") }
        position += 1
        if first != UInt8(ascii: "0") { while current?.isDigit == true { position += 1 } }
        var integral = true
        if current == UInt8(ascii: ".") {
            integral = false
            position += 1
            guard current?.isDigit == true else { throw fail("expected a digit after '.'") }
            while current?.isDigit == true { position += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            integral = false
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard current?.isDigit == true else { throw fail("expected a digit in the exponent") }
            while current?.isDigit == true { position += 1 }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if integral, let value = Int64(text) { return .number(value) }
        return .decimal(text)
    }

    private mutating func string() throws(JSON.ParseError) -> String {
        var decoded: [UInt8] = []
        try unescapeString(into: &decoded)
        return String(decoding: decoded, as: UTF8.self)
    }

    private mutating func secretString() throws(JSON.ParseError) -> SecretBytes {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count - position)  // one buffer, no copies left behind by growth
        defer { decoded.withUnsafeMutableBytes { wipe($0) } }
        try unescapeString(into: &decoded)
        return SecretBytes(decoded)
    }

    /// Reads a quoted string from the opening quote, decoding escapes, and checks the result is UTF-8.
    private mutating func unescapeString(into out: inout [UInt8]) throws(JSON.ParseError) {
        position += 1
        while true {
            guard let byte = current else { throw fail("unterminated string") }
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard UTF8Validation.isValid(out) else { throw fail("a string is not valid UTF-8") }
                return
            case UInt8(ascii: "\\"): try escape(into: &out)
            case 0..<0x20: throw fail("a control character inside a string must be escaped")
            default: out.append(byte)
            }
        }
    }

    private mutating func escape(into out: inout [UInt8]) throws(JSON.ParseError) {
        guard let byte = current else { throw fail("unterminated string") }
        position += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(byte)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hexQuad()
            if (0xD800..<0xDC00).contains(scalar) {
                guard current == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") else {
                    throw fail("a high surrogate without its low surrogate")
                }
                position += 2
                let low = try hexQuad()
                guard (0xDC00..<0xE000).contains(low) else { throw fail("a high surrogate without its low surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw fail("a low surrogate without its high surrogate")
            }
            out.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(scalar)!)!)
        default: throw fail("an unknown escape '\\\(Character(Unicode.Scalar(byte)))'")
        }
    }

    private mutating func hexQuad() throws(JSON.ParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = byte.hexValue else { throw fail("expected four hex digits after \\u") }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }
}

private func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
    guard let base = buffer.baseAddress else { return }
    explicit_bzero(base, buffer.count)
}

private enum UTF8Validation {
    static func isValid(_ bytes: [UInt8]) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = Unicode.UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}

private extension UInt8 {
    var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
    var hexValue: UInt8? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): self - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): self - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): self - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension JSON {
    /// Where and why a document is not JSON. It names a byte offset, never the text around it, since
    /// the text may be a secret.
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let offset: Int
        public let reason: String
        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// In `secretKeys`: every member's string value is secret (a secret whose other keys are unknown).
    public static let everyMember = "*"

    /// Parses one JSON document; values of members named in `secretKeys` (at any depth) become `.secret`.
    public static func parse(_ bytes: UnsafeRawBufferPointer, secretKeys: Set<String> = []) throws(ParseError) -> JSON {
        var parser = JSONParser(bytes, secretKeys: secretKeys)
        return try parser.document()
    }

    public static func parse(_ bytes: [UInt8], secretKeys: Set<String> = []) throws(ParseError) -> JSON {
        // Array's withUnsafeBytes rethrows untyped errors, so the typed error travels in a Result.
        try bytes.withUnsafeBytes { buffer in Result { () throws(ParseError) in try parse(buffer, secretKeys: secretKeys) } }.get()
    }

    public static func parse(_ secret: SecretBytes, secretKeys: Set<String> = []) throws(ParseError) -> JSON {
        try secret.withUnsafeBytes { (buffer) throws(ParseError) -> JSON in try parse(buffer, secretKeys: secretKeys) }
    }
}
