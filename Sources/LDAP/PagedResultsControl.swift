internal import CLDAP

/// RFC 2696's Simple Paged Results control, the value of both the request and the response:
/// `SEQUENCE { size INTEGER (0..maxInt), cookie OCTET STRING }`. In a request `size` is the page size
/// asked for; in a response it is the server's estimate of the total (0 when it does not know). The
/// cookie is the server's: empty in the first request and in the response to the last page.
/// Encoded here rather than through libldap's ldap_create_page_control, so that no other libldap
/// function has to be found at run time in each of OpenLDAP 2.4, 2.5 and 2.6; the BER is tiny.
struct PagedResultsControl: Equatable {
    static let oid = "1.2.840.113556.1.4.319"

    var size: Int
    var cookie: [UInt8]

    /// `size` in 0...Int32.max (RFC 4511's maxInt).
    init(size: Int, cookie: [UInt8]) {
        precondition(0...Int(Int32.max) ~= size, "page size out of range")
        self.size = size
        self.cookie = cookie
    }

    var berValue: [UInt8] {
        BER.element(tag: BER.sequence, BER.element(tag: BER.integer, BER.content(of: size)) + BER.element(tag: BER.octetString, cookie))
    }

    /// Decodes a response control's value; anything else than exactly the SEQUENCE above is an error,
    /// so that a garbled cookie cannot keep a search asking for pages.
    init(berValue: [UInt8]) throws(LDAPError) {
        var outer = BER.Reader(berValue)
        var fields = BER.Reader(try outer.element(tag: BER.sequence))
        let sizeBytes = try fields.element(tag: BER.integer)
        let cookie = try fields.element(tag: BER.octetString)
        guard outer.isAtEnd, fields.isAtEnd, let size = BER.nonNegativeInt32(sizeBytes) else { throw BER.malformed }
        self.init(size: size, cookie: Array(cookie))
    }
}

/// The little of BER (X.690) that the paged results control needs: definite lengths, one-byte tags.
enum BER {
    static let integer: UInt8 = 0x02
    static let octetString: UInt8 = 0x04
    static let sequence: UInt8 = 0x30

    static let malformed = LDAPError(code: LDAPResultCode(LDAP_DECODING_ERROR), message: "malformed paged results control (RFC 2696) from the server",
                                     diagnostic: nil, operation: "reading a paged results control")

    static func element(tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        [tag] + length(content.count) + content
    }

    /// Short form below 128, else 0x80 + the number of length bytes, then the length big-endian.
    static func length(_ count: Int) -> [UInt8] {
        guard count >= 0x80 else { return [UInt8(count)] }
        let bytes = bigEndian(count)
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    /// A non-negative INTEGER's content: big-endian, as few bytes as it takes, and a leading zero
    /// when the top bit is set (it would read as negative).
    static func content(of value: Int) -> [UInt8] {
        let bytes = value == 0 ? [0] : bigEndian(value)
        return bytes[0] & 0x80 != 0 ? [0] + bytes : bytes
    }

    private static func bigEndian(_ value: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = value
        while rest > 0 {
            bytes.insert(UInt8(rest & 0xFF), at: 0)
            rest >>= 8
        }
        return bytes
    }

    /// An INTEGER's content as a value in 0...Int32.max, or nil (empty, negative, too large).
    static func nonNegativeInt32(_ content: ArraySlice<UInt8>) -> Int? {
        guard let first = content.first, first & 0x80 == 0, content.count <= 5 else { return nil }
        let value = content.reduce(0) { $0 << 8 | Int($1) }
        return value <= Int(Int32.max) ? value : nil
    }

    /// Reads tag-length-value elements from the front of `bytes`.
    struct Reader {
        private let bytes: [UInt8]
        private var position: Int

        init<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
            self.bytes = Array(bytes)
            position = 0
        }

        var isAtEnd: Bool { position == bytes.count }

        /// The content of the next element, which must carry `tag`.
        mutating func element(tag: UInt8) throws(LDAPError) -> ArraySlice<UInt8> {
            guard position < bytes.count, bytes[position] == tag else { throw BER.malformed }
            position += 1
            let count = try length()
            guard count <= bytes.count - position else { throw BER.malformed }
            defer { position += count }
            return bytes[position..<position + count]
        }

        /// A definite length (LDAP allows no other, RFC 4511 5.1), of at most 4 length bytes.
        private mutating func length() throws(LDAPError) -> Int {
            guard position < bytes.count else { throw BER.malformed }
            let first = bytes[position]
            position += 1
            guard first & 0x80 != 0 else { return Int(first) }
            let lengthBytes = Int(first & 0x7F)
            guard (1...4).contains(lengthBytes), lengthBytes <= bytes.count - position else { throw BER.malformed }
            defer { position += lengthBytes }
            return bytes[position..<position + lengthBytes].reduce(0) { $0 << 8 | Int($1) }
        }
    }
}
