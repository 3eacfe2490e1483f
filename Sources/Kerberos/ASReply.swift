import AdjoinCore

/// The one field of an AS-REP that libkrb5 does not hand back: the key version number of the client
/// key the KDC encrypted the reply with (RFC 4120 5.4.2, `enc-part` of KDC-REP, an EncryptedData
/// whose `kvno` is optional). Read only from a reply that libkrb5 has already accepted, so it is the
/// version of the key that really decrypted it. DER, read with bounds checks all the same.
enum ASReply {
    static let applicationTag: UInt8 = 0x6B  // [APPLICATION 11]
    static let sequence: UInt8 = 0x30
    static let integer: UInt8 = 0x02

    /// nil when the KDC left the kvno out.
    static func clientKeyVersion(_ bytes: [UInt8]) throws(DecodeError) -> UInt32? {
        let outer = try DERElement.read(bytes, in: 0..<bytes.count, "AS-REP", tag: applicationTag)
        let body = try DERElement.read(bytes, in: outer.content, "KDC-REP", tag: sequence)
        guard let encPart = try DERElement.child(bytes, of: body, contextTag: 6) else {
            throw DecodeError("AS-REP without enc-part", at: body.content.lowerBound)
        }
        let encrypted = try DERElement.read(bytes, in: encPart.content, "EncryptedData", tag: sequence)
        guard let kvno = try DERElement.child(bytes, of: encrypted, contextTag: 1) else { return nil }
        let value = try DERElement.read(bytes, in: kvno.content, "kvno", tag: integer)
        // A UInt32 in DER: up to four bytes, after a leading zero byte where the top bit is set.
        var digits = bytes[value.content]
        guard let first = digits.first, first & 0x80 == 0 else { throw DecodeError("kvno is not a UInt32", at: value.content.lowerBound) }
        if digits.count > 1, first == 0 { digits = digits.dropFirst() }
        guard digits.count <= 4 else { throw DecodeError("kvno is not a UInt32", at: value.content.lowerBound) }
        return digits.reduce(0) { $0 << 8 | UInt32($1) }
    }
}

/// A DER element: its one-byte tag and where its content lies.
struct DERElement {
    let tag: UInt8
    let content: Range<Int>
    /// Where the element ends, header and content.
    var end: Int { content.upperBound }

    /// The element that starts `range`, which must hold all of it.
    static func read(_ bytes: [UInt8], in range: Range<Int>, _ what: String, tag expected: UInt8? = nil) throws(DecodeError) -> DERElement {
        var cursor = range.lowerBound
        guard cursor < range.upperBound else { throw DecodeError("missing \(what)", at: cursor) }
        let tag = bytes[cursor]
        guard tag & 0x1F != 0x1F else { throw DecodeError("multi-byte tag in \(what)", at: cursor) }
        if let expected, tag != expected {
            throw DecodeError("expected \(what) (tag 0x\(String(expected, radix: 16))), found 0x\(String(tag, radix: 16))", at: cursor)
        }
        cursor += 1
        guard cursor < range.upperBound else { throw DecodeError("truncated length of \(what)", at: cursor) }
        let first = bytes[cursor]
        cursor += 1
        var length = Int(first)
        if first & 0x80 != 0 {
            let count = Int(first & 0x7F)
            // DER has no indefinite form; four length bytes already allow far more than any reply.
            guard (1...4).contains(count), cursor + count <= range.upperBound else {
                throw DecodeError("bad length of \(what)", at: cursor - 1)
            }
            length = bytes[cursor..<(cursor + count)].reduce(0) { $0 << 8 | Int($1) }
            cursor += count
        }
        guard length <= range.upperBound - cursor else {
            throw DecodeError("\(what) claims \(length) bytes, only \(range.upperBound - cursor) remain", at: range.lowerBound)
        }
        return DERElement(tag: tag, content: cursor..<(cursor + length))
    }

    /// The explicitly tagged field `[contextTag]` of a SEQUENCE, or nil; its content is the field's value.
    static func child(_ bytes: [UInt8], of sequence: DERElement, contextTag: UInt8) throws(DecodeError) -> DERElement? {
        var position = sequence.content.lowerBound
        while position < sequence.content.upperBound {
            let element = try read(bytes, in: position..<sequence.content.upperBound, "field of a SEQUENCE")
            if element.tag == 0xA0 | contextTag { return element }
            position = element.end
        }
        return nil
    }
}
