import AdjoinCore

/// How a discovery is shown: `realm discover`-like lines for people, an object for scripts.
extension DiscoveryResult {
    public var textLines: [(String, String)] {
        let netlogon = controller.netlogon
        return [
            ("domain", netlogon.domain),
            ("forest", netlogon.forest),
            ("netbios-domain", netlogon.netbiosDomain),
            ("domain-guid", netlogon.domainGUIDString),
            ("domain-controller", netlogon.hostName),
            ("domain-controller-address", controller.address.host),
            ("domain-controller-netbios", netlogon.netbiosComputerName),
            ("domain-controller-site", netlogon.dcSite),
            ("client-site", netlogon.clientSite.isEmpty ? "(none: this address is in no site's subnet)" : netlogon.clientSite),
            ("domain-controller-flags", netlogon.flags.names.joined(separator: " ")),
            ("found-through", source == .dns ? "DNS SRV \(domain.dcLocatorName)" : "--domain-controller"),
            ("candidates", candidates.map { "\($0.address) \($0.outcome.word)" }.joined(separator: ", ")),
        ]
    }

    public func json(durationMs: Int64) -> JSON {
        let netlogon = controller.netlogon
        return .object([
            ("status", .string(Status.discovered.rawValue)),
            ("domain", .string(netlogon.domain)),
            ("forest", .string(netlogon.forest)),
            ("netbiosDomain", .string(netlogon.netbiosDomain)),
            ("domainGuid", .string(netlogon.domainGUIDString)),
            ("domainController", .string(netlogon.hostName)),
            ("domainControllerAddress", .string(controller.address.host)),
            ("domainControllerPort", .number(Int64(controller.address.port))),
            ("domainControllerNetbiosName", .string(netlogon.netbiosComputerName)),
            ("dcSite", .string(netlogon.dcSite)),
            ("clientSite", netlogon.clientSite.isEmpty ? .null : .string(netlogon.clientSite)),
            ("dcFlags", .array(netlogon.flags.names.map(JSON.string))),
            ("source", .string(source.rawValue)),
            ("candidates", .array(candidates.map(\.json))),
            ("durationMs", .number(durationMs)),
            ("message", .string("\(netlogon.hostName) answers for \(netlogon.domain)")),
        ])
    }
}

extension Candidate {
    var json: JSON {
        var members: [(String, JSON)] = [
            ("name", .optional(name)),
            ("address", .string(address.host)),
            ("port", .number(Int64(address.port))),
            ("outcome", .string(outcome.word)),
        ]
        if let detail = outcome.detail { members.append(("detail", .string(detail))) }
        return .object(members)
    }
}

extension Candidate.Outcome {
    var word: String {
        switch self {
        case .answered: "answered"
        case .unsuitable: "unsuitable"
        case .unreachable: "unreachable"
        case .silent: "silent"
        case .notPinged: "not-pinged"
        }
    }

    var detail: String? {
        switch self {
        case .unsuitable(let reason), .unreachable(let reason): reason
        default: nil
        }
    }
}
