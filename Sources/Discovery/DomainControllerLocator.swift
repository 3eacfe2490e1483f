import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif

/// Finds a live DC of a domain the way the Windows DC locator does (MS-ADTS 6.3.6): SRV records for
/// the domain (or the DCs given), an LDAP ping to all of them at once, the first suitable answer from
/// the client's own site, else the first suitable answer.
public struct DomainControllerLocator: Sendable {
    public static let ldapPort: UInt16 = 389
    /// Large domains publish dozens of DCs; pinging the first few in SRV order finds a live one as
    /// quickly without flooding the network.
    public static let maxPinged = 16

    public var domain: DomainName
    public var domainControllers: [HostPort]
    public var dnsServers: [SocketAddress]
    /// Flags a DC must have to be chosen (a join needs LDAP, a KDC and a writable directory).
    public var required: DCFlags
    public var progress: ProgressSink
    /// Where names are looked up.
    public var resolvers: any ResolverFactory
    /// The address families this host has: a DC's addresses of the other family are not pinged.
    public var families: AddressFamilies

    public init(
        domain: DomainName, domainControllers: [HostPort] = [], dnsServers: [SocketAddress] = [],
        required: DCFlags = [.ldap], resolvers: any ResolverFactory = SystemResolvers(),
        families: AddressFamilies = .host(), progress: @escaping ProgressSink = { _ in }
    ) {
        self.domain = domain
        self.families = families
        self.domainControllers = domainControllers
        self.dnsServers = dnsServers
        self.required = required
        self.resolvers = resolvers
        self.progress = progress
    }

    public func locate(deadline: Deadline) throws(AdjoinError) -> DiscoveryResult {
        let resolver = try resolvers.resolver(servers: dnsServers)
        let source: DiscoveryResult.Source = domainControllers.isEmpty ? .dns : .given
        var candidates =
            source == .dns
            ? try candidatesFromDNS(name: domain.dcLocatorName, resolver: resolver, deadline: deadline)
            : try candidatesGiven(resolver: resolver, deadline: deadline)

        var chosen = try ping(&candidates, deadline: deadline)
        // A DC outside the client's site answered first. Its reply names the client's site, so look for
        // DCs of that site and prefer one of them if it answers in time (MS-ADTS 6.3.6.1).
        if source == .dns, let first = chosen, !first.netlogon.flags.contains(.closest), !first.netlogon.clientSite.isEmpty,
            HostPort.isValidHost(first.netlogon.clientSite)
        {
            let siteName = domain.dcLocatorName(site: first.netlogon.clientSite)
            progress("DC \(first.hostName) is not in this host's site \(first.netlogon.clientSite); looking for DCs of that site")
            if var siteCandidates = try? candidatesFromDNS(name: siteName, resolver: resolver, deadline: deadline) {
                siteCandidates.removeAll { site in candidates.contains { $0.address == site.address } }
                if !siteCandidates.isEmpty, let local = try? ping(&siteCandidates, deadline: deadline),
                    local.netlogon.flags.contains(.closest)
                {
                    chosen = local
                }
                candidates += siteCandidates
            }
        }
        guard let chosen else {
            throw failure(candidates, deadline: deadline)
        }
        return DiscoveryResult(domain: domain, controller: chosen, candidates: candidates, source: source)
    }

    // MARK: - Candidates

    private func candidatesFromDNS(name: String, resolver: any Resolver, deadline: Deadline) throws(AdjoinError) -> [Candidate] {
        progress("Looking up \(name) SRV (asking \(resolver.serverDescription))")
        let answer: DNSAnswer
        do {
            answer = try resolver.query(name, type: DNSAnswer.typeSRV, deadline: deadline)
        } catch  where error.status == .domainNotFound {
            throw AdjoinError(
                .domainNotFound,
                "no domain controllers for '\(domain)' in DNS: \(name) does not exist (asked \(resolver.serverDescription)); "
                    + "check the domain name, or give the directory's DNS servers with --dns-server or its DCs with --domain-controller")
        }
        let records = SRVOrdering.ordered(answer.srv)
        guard !records.isEmpty else {
            throw AdjoinError(
                .domainNotFound,
                "DNS has no domain controller records for '\(domain)' (\(name) has no SRV records; asked \(resolver.serverDescription))")
        }
        var candidates: [Candidate] = []
        for record in records where candidates.count(where: { $0.address.family == families.preferred }) < DomainControllerLocator.maxPinged
        {
            var addresses = answer.addresses[record.target.lowercased()] ?? []
            // The SRV answer's additional records may hold only the A records (or none): an IPv6-only host
            // asks for the target's AAAA (and A) records itself.
            if !addresses.contains(where: { SocketAddress(numericHost: $0, port: 0)?.family == families.preferred }) {
                let more = (try? lookUpAddresses(of: record.target, resolver: resolver, useSystemResolver: false, deadline: deadline)) ?? []
                addresses += more.filter { !addresses.contains($0) }
            }
            for address in addresses {
                guard let socket = SocketAddress(numericHost: address, port: record.port),
                    !candidates.contains(where: { $0.address == socket })
                else { continue }
                candidates.append(Candidate(name: record.target, address: socket, outcome: .notPinged))
            }
        }
        candidates = Array(reachable(candidates).prefix(DomainControllerLocator.maxPinged))
        guard !candidates.isEmpty else {
            throw .network(
                "DNS lists domain controllers for '\(domain)' (\(records.map(\.target).joined(separator: ", "))) but none of their names resolves to an address"
            )
        }
        return candidates
    }

    private func candidatesGiven(resolver: any Resolver, deadline: Deadline) throws(AdjoinError) -> [Candidate] {
        var candidates: [Candidate] = []
        var problems: [String] = []
        for given in domainControllers {
            let port = given.port ?? DomainControllerLocator.ldapPort
            if let numeric = SocketAddress(numericHost: given.host, port: port) {
                candidates.append(Candidate(name: nil, address: numeric, outcome: .notPinged))
                continue
            }
            do {
                let addresses = try lookUpAddresses(
                    of: given.host, resolver: resolver, useSystemResolver: dnsServers.isEmpty, deadline: deadline)
                for address in addresses {
                    if let socket = SocketAddress(numericHost: address, port: port), !candidates.contains(where: { $0.address == socket }) {
                        candidates.append(Candidate(name: given.host, address: socket, outcome: .notPinged))
                    }
                }
            } catch {
                problems.append(error.message)
            }
        }
        guard !candidates.isEmpty else {
            throw .network("none of the given domain controllers resolves to an address: " + problems.joined(separator: "; "))
        }
        return Array(reachable(candidates).prefix(DomainControllerLocator.maxPinged))
    }

    /// The candidates of the family this host reaches DCs by (AddressFamilies.choose), in their order.
    private func reachable(_ candidates: [Candidate]) -> [Candidate] {
        let chosen = Set(families.choose(candidates.map(\.address)))
        return candidates.filter { chosen.contains($0.address) }
    }

    /// A and AAAA records of a name. Without explicit DNS servers a given DC name goes through the
    /// system's resolver (getaddrinfo), so /etc/hosts entries work as users expect.
    private func lookUpAddresses(
        of host: String, resolver: any Resolver, useSystemResolver: Bool, deadline: Deadline
    ) throws(AdjoinError) -> [String] {
        if useSystemResolver {
            return try resolver.systemAddresses(of: host)
        }
        var addresses: [String] = []
        for type in [DNSAnswer.typeA, DNSAnswer.typeAAAA] {
            if let answer = try? resolver.query(host, type: type, deadline: deadline) {
                addresses += answer.addresses[host.lowercased()] ?? answer.addresses.values.flatMap { $0 }
            }
        }
        guard !addresses.isEmpty else {
            throw .network("\(host) has no address in DNS (asked \(resolver.serverDescription))")
        }
        return addresses
    }

    // MARK: - Ping

    /// Pings every candidate at once and returns the first suitable DC, preferring one of the client's
    /// own site when it answers in the same breath. Updates each candidate's outcome.
    private func ping(_ candidates: inout [Candidate], deadline: Deadline) throws(AdjoinError) -> DomainController? {
        progress(
            "Pinging \(candidates.count) domain controller\(candidates.count == 1 ? "" : "s") over CLDAP: "
                + candidates.map { $0.address.description }.joined(separator: ", "))
        let payloads = candidates.indices.map { LDAPPing.request(messageID: Int32($0 + 1), domain: domain.value) }
        let exchange = try UDPExchange(targets: candidates.map(\.address), payloads: payloads)
        for index in candidates.indices { candidates[index].outcome = .silent }
        var fallback: DomainController? = nil

        while let event = exchange.next(deadline: deadline) {
            switch event {
            case .unreachable(let index, let reason):
                candidates[index].outcome = .unreachable(reason)
            case .reply(let reply):
                guard let id = try? LDAPPing.messageID(ofReply: reply.bytes), id == Int64(reply.index + 1) else {
                    continue  // a stray or stale datagram: keep waiting for the real answer
                }
                if let code = LDAPPing.failureCode(ofReply: reply.bytes) {
                    // The DC is there but could not answer this time: keep asking it until the deadline.
                    candidates[reply.index].outcome = .unsuitable("answered the ping with LDAP error \(code)")
                    continue
                }
                exchange.finish(reply.index)
                switch evaluate(reply.bytes) {
                case .failure(let reason):
                    candidates[reply.index].outcome = .unsuitable(reason)
                case .success(let netlogon):
                    candidates[reply.index].outcome = .answered
                    let controller = DomainController(address: candidates[reply.index].address, netlogon: netlogon)
                    if netlogon.flags.contains(.closest) { return controller }
                    if fallback == nil { fallback = controller }
                }
            }
            // Without a same-site DC among those that answered, the first suitable one will do, once
            // nothing else is already waiting to be read.
            if fallback != nil, !exchange.hasReadyReply() { return fallback }
        }
        return fallback
    }

    private enum Evaluation {
        case success(NetlogonResponse)
        case failure(String)
    }

    private func evaluate(_ reply: [UInt8]) -> Evaluation {
        do {
            guard let value = try LDAPPing.netlogonValue(fromReply: reply) else {
                return .failure(Self.doesNotServe)
            }
            let netlogon = try NetlogonResponse(decoding: value)
            guard domain.matches(netlogon.domain) else {
                return .failure("answered for domain '\(netlogon.domain)', not '\(domain)'")
            }
            guard netlogon.opcode != NetlogonResponse.opcodePaused else {
                return .failure("its netlogon service is paused")
            }
            let missing = required.subtracting(netlogon.flags)
            guard missing.isEmpty else {
                return .failure("lacks " + missing.names.joined(separator: ", ") + (missing.contains(.writable) ? " (a read-only DC)" : ""))
            }
            return .success(netlogon)
        } catch {
            return .failure("unreadable ping reply: \(error)")
        }
    }

    private static let doesNotServe = "does not serve this domain"

    private func failure(_ candidates: [Candidate], deadline: Deadline) -> AdjoinError {
        let details = candidates.map { candidate -> String in
            let who = candidate.name.map { "\($0) (\(candidate.address))" } ?? candidate.address.description
            switch candidate.outcome {
            case .answered: return "\(who) answered"
            case .unsuitable(let reason): return "\(who) \(reason)"
            case .unreachable(let reason): return "\(who): \(reason)"
            case .silent: return "\(who) did not answer"
            case .notPinged: return "\(who) was not pinged"
            }
        }.joined(separator: "; ")
        let foreign = candidates.contains {
            if case .unsuitable(let reason) = $0.outcome { return reason.contains("not '\(domain)'") || reason == Self.doesNotServe }
            return false
        }
        if foreign {
            return AdjoinError(.domainNotFound, "no domain controller serves '\(domain)': \(details)")
        }
        let waited = candidates.contains { $0.outcome == .silent } ? " within \(String(format1: deadline.elapsed.seconds)) s" : ""
        return .network("no domain controller of '\(domain)' answered the CLDAP ping\(waited): \(details)")
    }
}

extension String {
    /// One decimal place, without Foundation's formatter.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}
