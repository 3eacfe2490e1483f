import AdjoinCore

/// The name lookups the DC locator makes: DNS queries (libresolv) to the servers it was given or to
/// resolv.conf's, and the system's own lookup (getaddrinfo) for DC names a user gave. A protocol so
/// that a test can script the answers.
public protocol Resolver {
    /// Who is asked, for messages: "the servers in /etc/resolv.conf", "10.0.0.2".
    var serverDescription: String { get }
    /// One query of class IN; DOMAIN_NOT_FOUND when the name does not exist.
    func query(_ name: String, type: UInt16, deadline: Deadline) throws(AdjoinError) -> DNSAnswer
    /// getaddrinfo(3): nsswitch and /etc/hosts, as users expect for names they typed.
    func systemAddresses(of host: String) throws(AdjoinError) -> [String]
}

/// Makes the resolver of one discovery: the DNS servers given, else resolv.conf's.
public protocol ResolverFactory: Sendable {
    func resolver(servers: [SocketAddress]) throws(AdjoinError) -> any Resolver
}

/// libresolv and getaddrinfo.
public struct SystemResolvers: ResolverFactory {
    public init() {}

    public func resolver(servers: [SocketAddress]) throws(AdjoinError) -> any Resolver {
        try DNSResolver(servers: servers)
    }
}

extension DNSResolver: Resolver {
    func systemAddresses(of host: String) throws(AdjoinError) -> [String] {
        try SystemResolver.addresses(of: host)
    }
}

extension DNSAnswer {
    public static let typeAddress: UInt16 = typeA
    public static let typeIPv6Address: UInt16 = typeAAAA
    public static let typeService: UInt16 = typeSRV

    /// An answer made of its records (a scripted resolver's).
    public init(srv: [SRVRecord] = [], addresses: [String: [String]] = [:]) {
        self.srv = srv
        self.addresses = addresses
    }
}
