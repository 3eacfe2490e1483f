import AdjoinCore
import LDAP
import Testing
@testable import Membership

/// The two binary formats the removal of a machine's DNS records reads: the owner of a node's security
/// descriptor, which decides whether a record is the machine's, and the addresses in its dnsRecord values,
/// which lead to its PTR records.
struct MachineDNSNodesTests {
    /// S-1-5-21-1-2-3-1109, as objectSid holds it.
    let machine: [UInt8] = [1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0x55, 0x04, 0, 0]

    /// A self-relative descriptor with only an owner, at `offset`.
    func descriptor(owner: [UInt8], at offset: Int = 20) -> [UInt8] {
        var bytes: [UInt8] = [1, 0, 0x00, 0x80, UInt8(offset), 0, 0, 0] + [UInt8](repeating: 0, count: 12)
        bytes += [UInt8](repeating: 0, count: offset - 20)
        return bytes + owner
    }

    func record(type: UInt16, data: [UInt8]) -> [UInt8] {
        [UInt8(data.count), 0, UInt8(type & 0xFF), UInt8(type >> 8), 5, 240, 0, 0] + [UInt8](repeating: 0, count: 16) + data
    }

    @Test func theOwnerIsReadWhereverTheDescriptorPutsIt() {
        for offset in [20, 48] {
            let node = LDAPEntry(dn: "DC=web1", attributes: ["ntsecuritydescriptor": [descriptor(owner: machine, at: offset)]])
            #expect(MachineDNSNodes.owner(of: node) == machine)
        }
        var other = machine
        other[other.count - 2] = 0x56
        #expect(MachineDNSNodes.owner(of: LDAPEntry(dn: "x", attributes: ["ntsecuritydescriptor": [descriptor(owner: other)]])) != machine)
    }

    @Test func aDescriptorThatEndsEarlyHasNoOwner() {
        let cut = Array(descriptor(owner: machine).dropLast(4))
        #expect(MachineDNSNodes.owner(of: LDAPEntry(dn: "x", attributes: ["ntsecuritydescriptor": [cut]])) == nil)
        #expect(
            MachineDNSNodes.owner(of: LDAPEntry(dn: "x", attributes: ["ntsecuritydescriptor": [[1, 0, 0, 0x80, 200, 0, 0, 0]]])) == nil)
        #expect(MachineDNSNodes.owner(of: LDAPEntry(dn: "x", attributes: [:])) == nil)
    }

    @Test func addressesComeFromAAndAAAARecordsOnly() {
        let v6: [UInt8] = [0xfd, 0, 0, 0xad] + [UInt8](repeating: 0, count: 11) + [1]
        let node = LDAPEntry(
            dn: "DC=web1",
            attributes: [
                "dnsrecord": [
                    record(type: 1, data: [10, 66, 4, 1]),
                    record(type: 28, data: v6),
                    record(type: 16, data: [4, 116, 101, 120, 116]),  // TXT
                    record(type: 1, data: [10, 66]),  // an A record of the wrong length
                    [1, 0, 1],  // shorter than the header
                ]
            ])
        #expect(MachineDNSNodes.addresses(in: node).map(\.host) == ["10.66.4.1", "fd00:ad::1"])
    }
}
