import AdjoinCore
import DNS

/// The host's address record in the domain's DNS, as the join registered it: recorded in the join
/// record so that rotate can keep it true, leave remove it, and status check it.
public struct HostAddressRecord: Sendable, Equatable {
    /// Where the address came from, so that rotate, status and the boot join can tell when it changed.
    public enum Source: String, Sendable {
        /// `--dns-address` or the setting `dnsAddress`: it stays until given otherwise.
        case given
        /// The EC2 instance's private IPv4, from instance metadata.
        case instance
        /// This host's address toward the DC.
        case connection
    }

    public var name: String
    public var address: String
    public var source: Source
    /// The reverse zone in which the join also registered the address's PTR record (nil: none, because
    /// the DC holds no reverse zone for the address, or it refused).
    public var reverseZone: String?

    public init(name: String, address: String, source: Source, reverseZone: String? = nil) {
        self.name = name
        self.address = address
        self.source = source
        self.reverseZone = reverseZone
    }

    var socketAddress: SocketAddress? { SocketAddress(numericHost: address, port: 0) }
}

extension HostAddressRecord: CustomStringConvertible {
    /// As a zone file writes it: `web1.corp.example.com A 10.0.0.12`.
    public var description: String { "\(name) \(address.contains(":") ? "AAAA" : "A") \(address)" }
}

/// A change to one host name's address record, made by a secure dynamic update at the DC.
public enum DNSChange: Sendable {
    /// The name's A RRset becomes this one address (nil: the local address of the connection to the
    /// DC's DNS server). The name is the computer account's, which the join owns.
    case register(name: String, zone: String, address: SocketAddress?)
    /// Deletes the one record of the name that holds this address; records of other addresses stay.
    /// With `reverseZone`, also the PTR record of the address that names this name, in that zone.
    case remove(name: String, zone: String, address: SocketAddress, reverseZone: String?)

    var name: String {
        switch self {
        case .register(let name, _, _), .remove(let name, _, _, _): name
        }
    }

    /// What AD's own clients register with (20 minutes): a moved host is found again soon.
    static let ttl: UInt32 = 1200

    func update(address: SocketAddress) -> DNSUpdate {
        switch self {
        case .register(let name, let zone, _):
            var update = DNSUpdate(zone: zone)
            update.replace(name, with: address, ttl: Self.ttl)
            return update
        case .remove(let name, let zone, _, _):
            var update = DNSUpdate(zone: zone)
            update.delete(name, address: address)
            return update
        }
    }
}

/// A change as it went: the address it was about, and the server's answer.
public struct DNSChangeResult: Sendable, Equatable {
    public var address: SocketAddress
    public var answer: DNSUpdateAnswer
    /// The reverse zone whose PTR record for the address was registered or removed with the A record.
    public var reverseZone: String?
    /// Why the PTR record was not registered or removed, where it was tried.
    public var pointerProblem: String?

    public init(address: SocketAddress, answer: DNSUpdateAnswer, reverseZone: String? = nil, pointerProblem: String? = nil) {
        self.address = address
        self.answer = answer
        self.reverseZone = reverseZone
        self.pointerProblem = pointerProblem
    }

    /// Whether the change stands: a NOERROR answer whose signature checked out, or, where the answer
    /// could not be trusted, the records read back show it.
    func succeeded(_ change: DNSChange) -> Bool {
        if let after = answer.addressesAfter {
            let present = after.contains { $0.addressBytes == address.addressBytes }
            if case .register = change { return present && after.count == 1 }
            return !present
        }
        return answer.rcode == .noError && answer.signatureVerified
    }
}
