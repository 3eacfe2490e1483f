import AdjoinCore
internal import CResolverShim

/// A libresolv stub resolver with its own state. With explicit servers it asks those (a directory's
/// DNS servers are usually its DCs) instead of the ones in /etc/resolv.conf.
final class DNSResolver {
    private let handle: OpaquePointer
    let serverDescription: String

    /// `servers` are IPv4 or IPv6 addresses.
    init(servers: [SocketAddress]) throws(AdjoinError) {
        guard let handle = adjoin_resolver_new() else {
            throw AdjoinError(.unknownError, "could not initialise the DNS resolver (res_ninit failed; is /etc/resolv.conf readable?)")
        }
        self.handle = handle
        if servers.isEmpty {
            serverDescription = "the servers in /etc/resolv.conf"
            return
        }
        guard servers.count <= 3 else {
            throw .invalidInput("at most 3 DNS servers can be given, got \(servers.count)")
        }
        var addresses = [UInt8](repeating: 0, count: 16 * servers.count)
        for (index, server) in servers.enumerated() {
            addresses.replaceSubrange(16 * index..<16 * index + server.addressBytes.count, with: server.addressBytes)
        }
        let families = servers.map { UInt8($0.family == .ipv4 ? 4 : 6) }
        _ = adjoin_resolver_set_servers(handle, families, addresses, servers.map(\.port), Int32(servers.count))
        serverDescription = servers.map(\.host).joined(separator: ", ")
    }

    deinit {
        adjoin_resolver_free(handle)
    }

    /// One query of class IN. The per-try timeout comes from what is left of the deadline: glibc waits
    /// `t` on the first try and `2t / servers` on the second, so `t = remaining / 3` stays inside it.
    func query(_ name: String, type: UInt16, deadline: Deadline) throws(AdjoinError) -> DNSAnswer {
        guard !deadline.isExpired else { throw .timeout("time budget spent before the DNS lookup of \(name)") }
        let servers = max(1, Int(adjoin_resolver_server_count(handle)))
        let perTry = max(1, Int(deadline.remaining.seconds / 3))
        adjoin_resolver_set_timeout(handle, Int32(perTry), servers == 1 ? 2 : 1)

        var buffer = [UInt8](repeating: 0, count: 65535)
        var result = ADJOIN_DNS_OK
        let length = adjoin_resolver_query(handle, name, Int32(type), &buffer, Int32(buffer.count), &result)
        switch result {
        case ADJOIN_DNS_OK:
            do {
                return try DNSAnswer(message: Array(buffer.prefix(Int(min(length, Int32(buffer.count))))))
            } catch {
                throw AdjoinError(.networkError, "malformed DNS answer for \(name) from \(serverDescription): \(error)")
            }
        case ADJOIN_DNS_NAME_NOT_FOUND:
            throw AdjoinError(.domainNotFound, "DNS name \(name) does not exist (asked \(serverDescription))")
        case ADJOIN_DNS_NO_DATA:
            return DNSAnswer.empty
        case ADJOIN_DNS_TRY_AGAIN:
            if deadline.isExpired {
                throw .timeout("DNS lookup of \(name) did not finish within the time budget (asked \(serverDescription))")
            }
            throw .network("no DNS answer for \(name) from \(serverDescription)")
        default:
            throw .network("DNS lookup of \(name) failed at \(serverDescription) (refused or server failure)")
        }
    }
}

extension DNSAnswer {
    static var empty: DNSAnswer {
        // A message with no records at all: the parse cannot fail.
        try! DNSAnswer(message: [UInt8](repeating: 0, count: 12))
    }
}
