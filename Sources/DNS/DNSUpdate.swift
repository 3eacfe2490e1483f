import AdjoinCore

/// An RFC 2136 UPDATE of one zone: no prerequisites, the changes in the update section.
public struct DNSUpdate: Sendable, Equatable {
    public var zone: String
    public var changes: [DNSRecord] = []

    public init(zone: String) {
        self.zone = zone
    }

    /// Deletes every record of `type` at `name` (RFC 2136 2.5.2: class ANY, TTL 0, no data).
    public mutating func deleteAll(_ type: UInt16, at name: String) {
        changes.append(DNSRecord(owner: name, type: type, recordClass: DNSClass.any, ttl: 0))
    }

    /// Deletes the one record of `name` that holds `address` (RFC 2136 2.5.4: class NONE, TTL 0,
    /// the record's data): whatever else the name holds stays.
    public mutating func delete(_ name: String, address: SocketAddress) {
        changes.append(.address(name, address, ttl: 0, recordClass: DNSClass.none))
    }

    public mutating func add(_ name: String, address: SocketAddress, ttl: UInt32) {
        changes.append(.address(name, address, ttl: ttl))
    }

    /// The name's address records become exactly `address`: the RRset deleted, then the one record
    /// added, in one message, which a server applies as a whole (RFC 2136 3.4.2).
    public mutating func replace(_ name: String, with address: SocketAddress, ttl: UInt32) {
        deleteAll(address.family == .ipv4 ? DNSType.a : DNSType.aaaa, at: name)
        add(name, address: address, ttl: ttl)
    }

    public mutating func addPointer(_ name: String, to target: String, ttl: UInt32) throws(DNSEncodeError) {
        changes.append(DNSRecord(owner: name, type: DNSType.ptr, ttl: ttl, data: try DNSWriter.wireName(target)))
    }

    public mutating func deletePointer(_ name: String, to target: String) throws(DNSEncodeError) {
        changes.append(DNSRecord(owner: name, type: DNSType.ptr, recordClass: DNSClass.none, ttl: 0, data: try DNSWriter.wireName(target)))
    }

    public func message(id: UInt16) -> DNSMessage {
        var message = DNSMessage(id: id, opcode: DNSMessage.opcodeUpdate)
        message.questions = [DNSQuestion(name: zone, type: DNSType.soa)]
        message.authorities = changes
        return message
    }

    /// The reverse name of an address: `4.3.2.1.in-addr.arpa` for 1.2.3.4 (RFC 1035 3.5), nibbles for IPv6 (RFC 3596 2.5).
    public static func reverseName(of address: SocketAddress) -> String {
        switch address.family {
        case .ipv4:
            return address.addressBytes.reversed().map(String.init).joined(separator: ".") + ".in-addr.arpa"
        case .ipv6:
            let nibbles = address.addressBytes.flatMap { [$0 >> 4, $0 & 0xF] }.reversed()
            return nibbles.map { String($0, radix: 16) }.joined(separator: ".") + ".ip6.arpa"
        }
    }
}
