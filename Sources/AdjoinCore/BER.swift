/// The small part of BER (X.690) that adjoin reads and writes itself: an LDAP ping, the LDAP controls
/// libldap is not asked to build, and the one field of a Kerberos reply that libkrb5 does not return.
/// Definite lengths and one-byte tags only; DER is read with it too (DER is BER with fewer choices).
public enum BER {
    public static let boolean: UInt8 = 0x01
    public static let integer: UInt8 = 0x02
    public static let octetString: UInt8 = 0x04
    public static let enumerated: UInt8 = 0x0A
    public static let sequence: UInt8 = 0x30
    public static let set: UInt8 = 0x31

    public static func element(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        [tag] + length(content.count) + content
    }

    public static func length(_ count: Int) -> [UInt8] {
        if count < 0x80 { return [UInt8(count)] }
        var bytes: [UInt8] = []
        var value = count
        while value > 0 {
            bytes.insert(UInt8(value & 0xFF), at: 0)
            value >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    /// A non-negative INTEGER (message ids, limits), minimally encoded.
    public static func integer(_ value: Int32, tag: UInt8 = BER.integer) -> [UInt8] {
        var bytes: [UInt8] = []
        var remaining = UInt32(bitPattern: value)
        repeat {
            bytes.insert(UInt8(remaining & 0xFF), at: 0)
            remaining >>= 8
        } while remaining > 0
        if bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return element(tag, bytes)
    }

    public static func octetString(_ text: String, tag: UInt8 = BER.octetString) -> [UInt8] {
        element(tag, Array(text.utf8))
    }

    public static func octetString(_ bytes: [UInt8], tag: UInt8 = BER.octetString) -> [UInt8] {
        element(tag, bytes)
    }
}

/// One decoded element: its tag and where its content lies in the enclosing buffer.
public struct BERElement: Sendable {
    public let tag: UInt8
    public let content: Range<Int>
}

/// Reads the elements of one constructed value (or a whole buffer) in order, checking every length
/// against what is really there.
public struct BERReader {
    public let bytes: [UInt8]
    private var position: Int
    private let end: Int

    public init(_ bytes: [UInt8]) {
        self.init(bytes, range: 0..<bytes.count)
    }

    public init(_ bytes: [UInt8], range: Range<Int>) {
        self.bytes = bytes
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    /// The reader over an element's content.
    public func inside(_ element: BERElement) -> BERReader {
        BERReader(bytes, range: element.content)
    }

    public var isAtEnd: Bool { position >= end }

    public mutating func next(_ what: String) throws(DecodeError) -> BERElement {
        guard position < end else { throw DecodeError("missing \(what)", at: position) }
        let tag = bytes[position]
        guard tag & 0x1F != 0x1F else { throw DecodeError("multi-byte tag in \(what)", at: position) }
        var cursor = position + 1
        guard cursor < end else { throw DecodeError("truncated length of \(what)", at: cursor) }
        let first = bytes[cursor]
        cursor += 1
        var length = 0
        if first & 0x80 == 0 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            // 0x80 is the indefinite form, which LDAP forbids; more than 4 length bytes is absurd for a datagram.
            guard count >= 1, count <= 4 else { throw DecodeError("unsupported length form in \(what)", at: cursor - 1) }
            guard cursor + count <= end else { throw DecodeError("truncated length of \(what)", at: cursor) }
            for _ in 0..<count {
                length = length << 8 | Int(bytes[cursor])
                cursor += 1
            }
        }
        guard length <= end - cursor else {
            throw DecodeError("\(what) claims \(length) bytes, only \(end - cursor) remain", at: position)
        }
        position = cursor + length
        return BERElement(tag: tag, content: cursor..<(cursor + length))
    }

    public mutating func next(_ what: String, tag: UInt8) throws(DecodeError) -> BERElement {
        let start = position
        let element = try next(what)
        guard element.tag == tag else {
            throw DecodeError(
                "expected \(what) (tag 0x\(String(tag, radix: 16))), found tag 0x\(String(element.tag, radix: 16))", at: start)
        }
        return element
    }

    public func integer(_ element: BERElement, _ what: String) throws(DecodeError) -> Int64 {
        guard !element.content.isEmpty, element.content.count <= 8 else {
            throw DecodeError("bad INTEGER length in \(what)", at: element.content.lowerBound)
        }
        var value = Int64(Int8(bitPattern: bytes[element.content.lowerBound]))
        for index in element.content.dropFirst() {
            value = value << 8 | Int64(bytes[index])
        }
        return value
    }

    public func octets(_ element: BERElement) -> [UInt8] {
        Array(bytes[element.content])
    }

    /// The explicitly tagged field `[contextTag]` among the rest of this SEQUENCE's content, or nil;
    /// the element's content is the field's value.
    public mutating func field(contextTag: UInt8, _ what: String) throws(DecodeError) -> BERElement? {
        while !isAtEnd {
            let element = try next(what)
            if element.tag == 0xA0 | contextTag { return element }
        }
        return nil
    }
}
