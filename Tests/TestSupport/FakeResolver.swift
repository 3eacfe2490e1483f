import AdjoinCore
import Testing
import Discovery

/// One lookup a scripted resolver expects, and its answer.
public enum ResolverStep: CustomStringConvertible {
    /// A DNS query of `name` for records of `type` (DNSAnswer.typeService ...).
    case query(name: String, type: UInt16, answer: Result<DNSAnswer, AdjoinError>)
    /// getaddrinfo(3) of `host`.
    case system(host: String, answer: Result<[String], AdjoinError>)

    public var description: String {
        switch self {
        case .query(let name, let type, _): "DNS query of \(name) type \(type)"
        case .system(let host, _): "getaddrinfo of \(host)"
        }
    }
}

/// A resolver that answers only the lookups the test scripted, in order; any other fails the test.
/// `servers` is what the locator must ask for: a resolver for other servers is a failure too.
public final class FakeResolver: ResolverFactory, Resolver, @unchecked Sendable {
    public let script: CallScript<ResolverStep>
    private let servers: [SocketAddress]

    public init(servers: [SocketAddress] = [], _ steps: [ResolverStep]) {
        self.servers = servers
        script = CallScript("the fake resolver", steps)
    }

    public func resolver(servers: [SocketAddress]) throws(AdjoinError) -> any Resolver {
        guard servers == self.servers else {
            _ = script.next("a resolver for the DNS servers \(servers.map(\.description))") { _ in false }
            throw AdjoinError(.unknownError, "the fake resolver was set up for other DNS servers")
        }
        return self
    }

    public var serverDescription: String {
        servers.isEmpty ? "the servers in /etc/resolv.conf" : servers.map(\.host).joined(separator: ", ")
    }

    public func query(_ name: String, type: UInt16, deadline: Deadline) throws(AdjoinError) -> DNSAnswer {
        let call = "DNS query of \(name) type \(type)"
        guard
            case .query(_, _, let answer)? = script.next(
                call,
                matches: {
                    if case .query(let expected, let expectedType, _) = $0 { return expected == name && expectedType == type }
                    return false
                })
        else { throw AdjoinError(.unknownError, "the fake resolver did not expect a \(call)") }
        return try answer.get()
    }

    public func systemAddresses(of host: String) throws(AdjoinError) -> [String] {
        let call = "getaddrinfo of \(host)"
        guard
            case .system(_, let answer)? = script.next(
                call,
                matches: {
                    if case .system(let expected, _) = $0 { return expected == host }
                    return false
                })
        else { throw AdjoinError(.unknownError, "the fake resolver did not expect a \(call)") }
        return try answer.get()
    }
}
