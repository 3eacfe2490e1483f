import AdjoinCore
import Discovery

/// `adjoin discover`: a domain's DCs and what the chosen one says about the domain. Changes nothing.
public struct DiscoverUseCase: UseCase {
    public struct Options: Sendable {
        public var domain: String
        public var directory: DirectoryFlags

        public init(domain: String, directory: DirectoryFlags) {
            self.domain = domain
            self.directory = directory
        }
    }

    public let options: Options

    public init(_ options: Options) { self.options = options }

    public func run(_ context: RunContext) throws(CommandFailure) -> CommandReport {
        do throws(AdjoinError) {
            let locator = DomainControllerLocator(
                domain: try DomainName(options.domain),
                domainControllers: try options.directory.parsedDomainControllers(),
                dnsServers: try options.directory.parsedDNSServers(),
                resolvers: context.resolvers,
                progress: context.progress)
            return DiscoverUseCase.report(try locator.locate(deadline: context.deadline), elapsed: context.deadline.elapsed)
        } catch {
            throw CommandFailure(error, domain: options.domain, elapsed: context.deadline.elapsed)
        }
    }

    /// As `realm discover` and `adcli info` describe a domain.
    static func report(_ result: DiscoveryResult, elapsed: Duration) -> CommandReport {
        let netlogon = result.controller.netlogon
        let address = result.controller.address
        return CommandReport(
            status: .discovered,
            fields: [
                .string("domain", "domain", netlogon.domain),
                .string("forest", "forest", netlogon.forest),
                .string("netbios-domain", "netbiosDomain", netlogon.netbiosDomain),
                .string("domain-guid", "domainGuid", netlogon.domainGUIDString),
                .string("domain-controller", "domainController", netlogon.hostName),
                .string("domain-controller-address", "domainControllerAddress", address.host),
                .json("domainControllerPort", .number(Int64(address.port))),
                .string("domain-controller-netbios", "domainControllerNetbiosName", netlogon.netbiosComputerName),
                .string("domain-controller-site", "dcSite", netlogon.dcSite),
                .both(
                    "client-site", "clientSite",
                    text: netlogon.clientSite.isEmpty ? "(none: this address is in no site's subnet)" : netlogon.clientSite,
                    json: netlogon.clientSite.isEmpty ? .null : .string(netlogon.clientSite)),
                .both(
                    "domain-controller-flags", "dcFlags", text: netlogon.flags.names.joined(separator: " "),
                    json: .array(netlogon.flags.names.map(JSON.string))),
                .both(
                    "found-through", "source",
                    text: result.source == .dns ? "DNS SRV \(result.domain.dcLocatorName)" : "--domain-controller",
                    json: .string(result.source.rawValue)),
                .both(
                    "candidates", "candidates", text: result.candidates.map { "\($0.address) \(word($0.outcome))" }.joined(separator: ", "),
                    json: .array(result.candidates.map(json))),
                .statusLine,
                .duration(elapsed),
                .json("message", .string("\(netlogon.hostName) answers for \(netlogon.domain)")),
            ])
    }

    private static func json(_ candidate: Candidate) -> JSON {
        var members: [(String, JSON)] = [
            ("name", .optional(candidate.name)),
            ("address", .string(candidate.address.host)),
            ("port", .number(Int64(candidate.address.port))),
            ("outcome", .string(word(candidate.outcome))),
        ]
        switch candidate.outcome {
        case .unsuitable(let reason), .unreachable(let reason): members.append(("detail", .string(reason)))
        default: break
        }
        return .object(members)
    }

    private static func word(_ outcome: Candidate.Outcome) -> String {
        switch outcome {
        case .answered: "answered"
        case .unsuitable: "unsuitable"
        case .unreachable: "unreachable"
        case .silent: "silent"
        case .notPinged: "not-pinged"
        }
    }
}
