import AdjoinCore
/// A domain controller that answered the LDAP ping, and what it said.
public struct DomainController: Sendable, Equatable {
    public var address: SocketAddress
    public var netlogon: NetlogonResponse

    public var hostName: String { netlogon.hostName }
}

/// What became of one DC that discovery considered.
public struct Candidate: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case answered
        case unsuitable(String)
        case unreachable(String)
        case silent
        case notPinged
    }

    /// The name from the SRV record or the command line, when there was one.
    public var name: String?
    public var address: SocketAddress
    public var outcome: Outcome
}

public struct DiscoveryResult: Sendable {
    public enum Source: String, Sendable {
        case dns
        case given
    }

    public var domain: DomainName
    public var controller: DomainController
    public var candidates: [Candidate]
    public var source: Source
}
