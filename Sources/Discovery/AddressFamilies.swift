import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif

/// Which address families this host can reach a DC by: those it has an address of beyond loopback
/// (and, for IPv6, beyond link-local, which every interface has). An IPv6-only instance has no IPv4
/// address but 127.0.0.1, so a DC's A records would only give unreachable candidates.
public struct AddressFamilies: Sendable, Equatable {
    public var ipv4: Bool
    public var ipv6: Bool

    public init(ipv4: Bool, ipv6: Bool) {
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }

    /// The host's, from getifaddrs(3). A host with no routable address at all (a sandbox with loopback
    /// only) counts as having both, so that nothing is ruled out there.
    public static func host() -> AddressFamilies {
        var list: UnsafeMutablePointer<ifaddrs>? = nil
        guard getifaddrs(&list) == 0, let first = list else { return AddressFamilies(ipv4: true, ipv6: true) }
        defer { freeifaddrs(first) }
        var found = AddressFamilies(ipv4: false, ipv6: false)
        var node: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = node {
            defer { node = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                let bytes = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) }
                }
                if bytes[0] != 127 { found.ipv4 = true }
            case AF_INET6:
                let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) }
                }
                if !Self.isLoopbackOrLinkLocal(ipv6: bytes) { found.ipv6 = true }
            default:
                continue
            }
        }
        return found.ipv4 || found.ipv6 ? found : AddressFamilies(ipv4: true, ipv6: true)
    }

    static func isLoopbackOrLinkLocal(ipv6 bytes: [UInt8]) -> Bool {
        bytes == [UInt8](repeating: 0, count: 15) + [1] || (bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80)
    }

    public func contains(_ family: SocketAddress.Family) -> Bool {
        family == .ipv4 ? ipv4 : ipv6
    }

    /// The family a DC is reached by: IPv4 while the host has it (what adjoin always used, so a dual-stack
    /// host behaves as before), else IPv6.
    public var preferred: SocketAddress.Family { ipv4 ? .ipv4 : .ipv6 }

    /// `addresses` of the preferred family when there are any; else those of the other family the host has;
    /// else all of them (let the ping say which answer).
    public func choose(_ addresses: [SocketAddress]) -> [SocketAddress] {
        let preferred = addresses.filter { $0.family == self.preferred }
        if !preferred.isEmpty { return preferred }
        let usable = addresses.filter { contains($0.family) }
        return usable.isEmpty ? addresses : usable
    }
}
