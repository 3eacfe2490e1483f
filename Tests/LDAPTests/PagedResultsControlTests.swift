import Testing
@testable import LDAP

/// RFC 2696's control value, against bytes worked out by hand from X.690 (and, for the response, the
/// cookie Samba's DC sent to ldapsearch -E pr=: "MQA=", the bytes "1\0").
@Suite struct PagedResultsControlTests {
    @Test func aFirstRequestAsksForThePageSizeWithAnEmptyCookie() {
        // SEQUENCE(6) { INTEGER(2) 500, OCTET STRING(0) }
        #expect(PagedResultsControl(size: 500, cookie: []).berValue == [0x30, 0x06, 0x02, 0x02, 0x01, 0xF4, 0x04, 0x00])
        // 128 has its top bit set: a leading zero keeps it positive.
        #expect(PagedResultsControl(size: 128, cookie: [0xAB]).berValue == [0x30, 0x07, 0x02, 0x02, 0x00, 0x80, 0x04, 0x01, 0xAB])
        #expect(PagedResultsControl(size: 0, cookie: []).berValue == [0x30, 0x05, 0x02, 0x01, 0x00, 0x04, 0x00])
        #expect(
            PagedResultsControl(size: Int(Int32.max), cookie: []).berValue == [0x30, 0x08, 0x02, 0x04, 0x7F, 0xFF, 0xFF, 0xFF, 0x04, 0x00])
    }

    @Test func aLongCookieTakesLongFormLengths() throws {
        let cookie = (0..<200).map { UInt8($0) }
        let value = PagedResultsControl(size: 5, cookie: cookie).berValue
        // content: 3 (INTEGER) + 3 + 200 (OCTET STRING with a two-byte length) = 206 = 0xCE
        #expect(Array(value.prefix(9)) == [0x30, 0x81, 0xCE, 0x02, 0x01, 0x05, 0x04, 0x81, 0xC8])
        #expect(value.count == 3 + 206)
        #expect(try PagedResultsControl(berValue: value) == PagedResultsControl(size: 5, cookie: cookie))
        let long = [UInt8](repeating: 7, count: 300)
        #expect(
            Array(PagedResultsControl(size: 1, cookie: long).berValue.prefix(10)) == [
                0x30, 0x82, 0x01, 0x33, 0x02, 0x01, 0x01, 0x04, 0x82, 0x01,
            ])
    }

    @Test func readsTheServersEstimateAndCookie() throws {
        let samba = try PagedResultsControl(berValue: [0x30, 0x08, 0x02, 0x02, 0x01, 0x12, 0x04, 0x02, 0x31, 0x00])
        #expect(samba.size == 274)
        #expect(samba.cookie == [0x31, 0x00])
        let last = try PagedResultsControl(berValue: [0x30, 0x05, 0x02, 0x01, 0x00, 0x04, 0x00])
        #expect(last.cookie.isEmpty)
    }

    @Test(
        arguments: [
            [],  // nothing at all
            [0x30],  // no length
            [0x30, 0x05, 0x02, 0x01, 0x00, 0x04],  // shorter than it says
            [0x31, 0x05, 0x02, 0x01, 0x00, 0x04, 0x00],  // a SET, not a SEQUENCE
            [0x30, 0x05, 0x04, 0x00, 0x02, 0x01, 0x00],  // fields swapped
            [0x30, 0x03, 0x02, 0x01, 0x00],  // no cookie
            [0x30, 0x05, 0x02, 0x01, 0xFF, 0x04, 0x00],  // a negative size
            [0x30, 0x04, 0x02, 0x00, 0x04, 0x00],  // an empty INTEGER
            [0x30, 0x09, 0x02, 0x05, 0x00, 0x80, 0x00, 0x00, 0x00, 0x04, 0x00],  // a size beyond maxInt
            [0x30, 0x80, 0x02, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00],  // indefinite length (not allowed in LDAP)
            [0x30, 0x85, 0x00, 0x00, 0x00, 0x00, 0x05],  // five length bytes
            [0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0x00],  // a length far past the end
            [0x30, 0x07, 0x02, 0x01, 0x00, 0x04, 0x00, 0x05, 0x00],  // something after the cookie inside
            [0x30, 0x05, 0x02, 0x01, 0x00, 0x04, 0x00, 0x00],  // something after the sequence
            [0x30, 0x05, 0x02, 0x01, 0x00, 0x04, 0x05],  // a cookie longer than the sequence
        ] as [[UInt8]])
    func aMalformedResponseIsAnError(bytes: [UInt8]) {
        #expect(throws: LDAPError.self) { try PagedResultsControl(berValue: bytes) }
        do {
            _ = try PagedResultsControl(berValue: bytes)
        } catch {
            #expect(error.code.rawValue == -4, "LDAP_DECODING_ERROR")
            #expect(error.description.contains("paged results"))
        }
    }

    /// What a paged search sends: the control with its OID, not critical (a server without paging then
    /// answers the whole search), beside any other control of the request.
    @Test func aPagedRequestCarriesTheControl() throws {
        try LDAPConnection.loadLibrary()
        let page = PagedResultsControl(size: 20, cookie: [0x31, 0x00])
        let controls = try LDAPServerControls(securityDescriptorFlags: LDAPSearchRequest.daclOnly, page: page)
        #expect(
            controls.values == [
                LDAPControlValue(oid: "1.2.840.113556.1.4.801", critical: true, value: [0x30, 0x03, 0x02, 0x01, 0x04]),
                LDAPControlValue(
                    oid: "1.2.840.113556.1.4.319", critical: false, value: [0x30, 0x07, 0x02, 0x01, 0x14, 0x04, 0x02, 0x31, 0x00]),
            ])
        #expect(try LDAPServerControls(securityDescriptorFlags: nil).values.isEmpty)
    }
}
