import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif

/// getaddrinfo(3): the system's own name lookup (nsswitch, /etc/hosts), for names a user gave.
enum SystemResolver {
    static func addresses(of host: String) throws(AdjoinError) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>? = nil
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            let reason = String(cString: gai_strerror(status))
            if status == EAI_NONAME {
                throw AdjoinError(.networkError, "\(host) does not resolve: \(reason)")
            }
            throw .network("cannot resolve \(host): \(reason)")
        }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let entry = node {
            if let address = entry.pointee.ai_addr {
                let text: String?
                switch entry.pointee.ai_family {
                case AF_INET:
                    text = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        IPAddress.text(ipv4: withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) })
                    }
                case AF_INET6:
                    text = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        IPAddress.text(ipv6: withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) })
                    }
                default:
                    text = nil
                }
                if let text, !addresses.contains(text) { addresses.append(text) }
            }
            node = entry.pointee.ai_next
        }
        return addresses
    }
}
