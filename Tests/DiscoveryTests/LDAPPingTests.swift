import AdjoinCore
import Testing
@testable import Discovery

@Suite struct LDAPPingTests {
    @Test func requestIsTheSearchOfMSADTS() throws {
        let request = LDAPPing.request(messageID: 7, domain: "corp.example.com")
        var top = BERReader(request)
        let message = try top.next("message", tag: 0x30)
        #expect(top.isAtEnd)
        var fields = top.inside(message)
        #expect(try fields.integer(fields.next("id", tag: 0x02), "id") == 7)
        let search = try fields.next("search", tag: 0x63)
        var parts = fields.inside(search)
        #expect(parts.octets(try parts.next("base", tag: 0x04)) == [])
        #expect(parts.octets(try parts.next("scope", tag: 0x0A)) == [0])
        _ = try parts.next("deref", tag: 0x0A)
        _ = try parts.next("size", tag: 0x02)
        _ = try parts.next("time", tag: 0x02)
        #expect(parts.octets(try parts.next("typesOnly", tag: 0x01)) == [0])
        let filter = try parts.next("filter", tag: 0xA0)
        var terms = parts.inside(filter)
        var assertions: [String: [UInt8]] = [:]
        while !terms.isAtEnd {
            let term = try terms.next("term", tag: 0xA3)
            var pair = terms.inside(term)
            let key = String(decoding: pair.octets(try pair.next("attr", tag: 0x04)), as: UTF8.self)
            assertions[key] = pair.octets(try pair.next("value", tag: 0x04))
        }
        #expect(assertions["DnsDomain"] == Array("corp.example.com".utf8))
        #expect(assertions["NtVer"] == [0x06, 0x00, 0x00, 0x00])
        let attributes = try parts.next("attributes", tag: 0x30)
        var names = parts.inside(attributes)
        #expect(names.octets(try names.next("attribute", tag: 0x04)) == Array("Netlogon".utf8))
        #expect(parts.isAtEnd)
    }

    @Test func extractsTheNetlogonValue() throws {
        let value = Wire.netlogon()
        let reply = Wire.pingReply(messageID: 3, netlogon: value)
        #expect(try LDAPPing.messageID(ofReply: reply) == 3)
        #expect(try LDAPPing.netlogonValue(fromReply: reply) == value)
        // Attribute names are case-insensitive in LDAP.
        #expect(try LDAPPing.netlogonValue(fromReply: Wire.pingReply(messageID: 3, netlogon: value, attribute: "NETLOGON")) == value)
    }

    @Test func searchDoneWithoutEntryMeansTheDomainIsNotServed() throws {
        let done = Wire.ber(0x30, Wire.ber(0x02, [1]) + Wire.ber(0x65, Wire.ber(0x0A, [0]) + Wire.ber(0x04, []) + Wire.ber(0x04, [])))
        #expect(try LDAPPing.netlogonValue(fromReply: done) == nil)
    }

    @Test func entryWithoutNetlogonAttributeIsAnError() {
        let reply = Wire.pingReply(messageID: 1, netlogon: [1, 2], attribute: "dnsHostName")
        let error = #expect(throws: DecodeError.self) { try LDAPPing.netlogonValue(fromReply: reply) }
        #expect(error?.reason.contains("no Netlogon attribute") == true)
    }

    @Test func everyTruncationOfAReplyIsAnError() {
        let reply = Wire.pingReply(messageID: 1, netlogon: Wire.netlogon())
        let firstMessage = 2 + Int(reply[1] == 0x81 ? reply[2] : reply[1]) + (reply[1] == 0x81 ? 1 : 0)
        for length in 0..<firstMessage {
            #expect(throws: DecodeError.self, "prefix of \(length) bytes") {
                try LDAPPing.netlogonValue(fromReply: Array(reply.prefix(length)))
            }
        }
    }

    @Test func lengthsLargerThanTheDatagramAreErrors() {
        // A long-form length claiming 4 GiB, and the indefinite form that LDAP forbids.
        for header: [UInt8] in [[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF], [0x30, 0x80], [0x30, 0x85, 1, 1, 1, 1, 1]] {
            #expect(throws: DecodeError.self) { try LDAPPing.netlogonValue(fromReply: header + [0x02, 0x01, 0x01]) }
        }
    }
}
