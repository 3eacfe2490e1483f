import AdjoinCore

/// Domain names as RFC 1035 section 4.1.4 writes them: length-prefixed labels, ending in a zero
/// byte or a pointer back into the same message. DNS answers and the NetLogon reply
/// (MS-ADTS 6.3.1.9) both use this form; DNS updates (this module) and discovery share this reader.
package enum CompressedName {
    /// RFC 1035 limits: a label holds 63 bytes, a name 255.
    package static let maxLabel = 63
    package static let maxName = 255
    /// Each pointer must lead somewhere new; a hostile reply could otherwise loop forever.
    package static let maxPointers = 64

    /// Reads the name at `start`; returns it with the offset just past it in the original position.
    package static func read(from bytes: [UInt8], at start: Int, what: String) throws(DecodeError) -> (String, Int) {
        var labels: [String] = []
        var length = 0
        var position = start
        var resumeAt: Int? = nil
        var pointers = 0

        while true {
            guard position >= 0, position < bytes.count else {
                throw DecodeError("truncated name in \(what)", at: position)
            }
            let head = bytes[position]
            switch head & 0xC0 {
            case 0x00:
                if head == 0 {
                    return (labels.joined(separator: "."), resumeAt ?? position + 1)
                }
                let count = Int(head)
                guard position + 1 + count <= bytes.count else {
                    throw DecodeError("truncated label in \(what)", at: position)
                }
                length += count + 1
                guard length <= maxName else {
                    throw DecodeError("name longer than \(maxName) bytes in \(what)", at: position)
                }
                labels.append(printable(bytes[(position + 1)...(position + count)]))
                position += 1 + count
            case 0xC0:
                guard position + 1 < bytes.count else {
                    throw DecodeError("truncated compression pointer in \(what)", at: position)
                }
                pointers += 1
                guard pointers <= maxPointers else {
                    throw DecodeError("compression pointer loop in \(what)", at: position)
                }
                let target = Int(head & 0x3F) << 8 | Int(bytes[position + 1])
                if resumeAt == nil { resumeAt = position + 2 }
                guard target < bytes.count else {
                    throw DecodeError("compression pointer past the end in \(what)", at: position)
                }
                position = target
            default:
                throw DecodeError("reserved label type 0x\(String(head, radix: 16)) in \(what)", at: position)
            }
        }
    }

    /// Label bytes as text. UTF-8 is kept (site names may be non-ASCII); control characters, bytes that
    /// are not UTF-8, and '.' or '\\' inside a label are shown as `\DDD` or `\.` (as dig does), so a
    /// hostile server cannot put escape sequences on the operator's terminal or forge label boundaries.
    package static func printable(_ label: ArraySlice<UInt8>) -> String {
        let isUTF8 = String(validating: label, as: UTF8.self) != nil
        var text = ""
        var iterator = label.makeIterator()
        var decoder = UTF8()
        if isUTF8 {
            while case .scalarValue(let scalar) = decoder.decode(&iterator) {
                if scalar == "." || scalar == "\\" {
                    text += "\\" + String(scalar)
                } else if scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0) {
                    text += escaped(UInt8(scalar.value & 0xFF))
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
            return text
        }
        for byte in label {
            text +=
                (0x21...0x7E).contains(byte) && byte != UInt8(ascii: ".") && byte != UInt8(ascii: "\\")
                ? String(UnicodeScalar(byte)) : escaped(byte)
        }
        return text
    }

    private static func escaped(_ byte: UInt8) -> String {
        let digits = String(byte)
        return "\\" + String(repeating: "0", count: 3 - digits.count) + digits
    }
}

extension ByteReader {
    /// A name in RFC 1035 form, compression pointers allowed (DNS messages and NetLogon replies share it).
    package mutating func compressedName(_ what: String) throws(DecodeError) -> String {
        let (name, next) = try CompressedName.read(from: bytes, at: offset, what: what)
        seek(to: next)
        return name
    }
}
