/// Percent-encoding as SigV4 wants it (RFC 3986): every byte but A-Z a-z 0-9 - _ . ~ is encoded,
/// as %XY with upper-case hex, space included (never `+`).
enum URIEncoding {
    static func encode(_ text: String, keepSlash: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%"
                out.unicodeScalars.append(hexDigit(byte >> 4))
                out.unicodeScalars.append(hexDigit(byte & 0xF))
            }
        }
        return out
    }

    /// A path keeps its slashes; each segment is encoded.
    static func encodePath(_ path: String) -> String {
        encode(path.isEmpty ? "/" : path, keepSlash: true)
    }

    /// One path segment as RFC 3986 allows it unencoded (pchar: also `! $ & ' ( ) * + , ; = : @`):
    /// instance metadata tag keys may hold `+ = , : @`, and the service matches them as written.
    static func encodePathSegment(_ text: String) -> String {
        var out = ""
        for character in text {
            if character.isASCII, let scalar = character.unicodeScalars.first, "!$&'()*+,;=:@".unicodeScalars.contains(scalar) {
                out.append(character)
            } else {
                out += encode(String(character))
            }
        }
        return out
    }

    /// `application/x-www-form-urlencoded` body of the query protocol (EC2, STS), encoded the same way.
    static func formBody(_ parameters: [(String, String)]) -> [UInt8] {
        Array(parameters.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&").utf8)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static func hexDigit(_ value: UInt8) -> Unicode.Scalar {
        Unicode.Scalar(value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") + value - 10)
    }
}
