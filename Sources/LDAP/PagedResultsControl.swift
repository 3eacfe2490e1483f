import AdjoinCore
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
        BER.element(BER.sequence, BER.integer(Int32(size)) + BER.octetString(cookie))
    }

    /// Decodes a response control's value; anything else than exactly the SEQUENCE above is an error,
    /// so that a garbled cookie cannot keep a search asking for pages.
    init(berValue: [UInt8]) throws(LDAPError) {
        let decoded: (size: Int64, cookie: [UInt8])?
        do throws(DecodeError) {
            var outer = BERReader(berValue)
            let value = try outer.next("paged results control", tag: BER.sequence)
            var fields = outer.inside(value)
            let size = try fields.integer(try fields.next("page size", tag: BER.integer), "page size")
            let cookie = fields.octets(try fields.next("cookie", tag: BER.octetString))
            decoded = outer.isAtEnd && fields.isAtEnd ? (size, cookie) : nil
        } catch {
            decoded = nil
        }
        guard let decoded, 0...Int64(Int32.max) ~= decoded.size else { throw Self.malformed }
        self.init(size: Int(decoded.size), cookie: decoded.cookie)
    }

    static let malformed = LDAPError(
        code: LDAPResultCode(LDAP_DECODING_ERROR), message: "malformed paged results control (RFC 2696) from the server",
        diagnostic: nil, operation: "reading a paged results control")
}
