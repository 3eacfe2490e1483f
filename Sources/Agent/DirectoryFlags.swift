import AdjoinCore
import AWS
import Membership

/// What the commands that talk to a domain are told about reaching it, as given: DCs to use instead
/// of DNS discovery, DNS servers to ask, and the whole time budget.
public struct DirectoryFlags: Sendable {
    public var domainControllers: [String] = []
    public var dnsServers: [String] = []
    /// Seconds (`--timeout`).
    public var timeout: Double = 20

    public init(domainControllers: [String] = [], dnsServers: [String] = [], timeout: Double = 20) {
        self.domainControllers = domainControllers
        self.dnsServers = dnsServers
        self.timeout = timeout
    }

    func parsedDomainControllers() throws(AdjoinError) -> [HostPort] {
        var parsed: [HostPort] = []
        for text in domainControllers { parsed.append(try HostPort(parsing: text)) }
        return parsed
    }

    func parsedDNSServers() throws(AdjoinError) -> [SocketAddress] {
        var parsed: [SocketAddress] = []
        for text in dnsServers {
            let hostPort = try HostPort(parsing: text)
            guard let address = SocketAddress(numericHost: hostPort.host, port: hostPort.port ?? 53) else {
                throw .invalidInput("--dns-server \(text): give an IP address, not a name")
            }
            parsed.append(address)
        }
        return parsed
    }

    /// Where leave, rotate and status reach the domain from: the system under `files`' root, and the
    /// DCs and DNS servers named here (none: those the join record names, else DNS discovery).
    func place(in context: RunContext) throws(AdjoinError) -> DirectoryPlace {
        var place = DirectoryPlace(files: context.files)
        place.connector = context.connector
        place.clock = context.clock
        place.domainControllers = try parsedDomainControllers()
        place.dnsServers = try parsedDNSServers()
        // Asked only where the join registered the instance's address in DNS (rotate, status, the boot join).
        let environment = context.environment
        place.instanceAddress = { deadline in
            guard let text = try? InstanceMetadata(environment: environment).privateAddress(deadline: deadline) else { return nil }
            return try? AgentSettings.dnsAddress(text)
        }
        return place
    }
}
