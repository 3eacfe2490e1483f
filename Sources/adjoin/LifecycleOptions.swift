import AdjoinCore
import Agent
import AWS
import Join

extension DirectoryOptions {
    /// Where leave, rotate and status reach the domain from: the system under `root`, and the DCs and
    /// DNS servers the flags name (none: those the join record names, else DNS discovery).
    func place(root: String) throws(AdjoinError) -> DirectoryPlace {
        var place = DirectoryPlace(files: HostFiles(root: root))
        place.domainControllers = try parsedDomainControllers()
        place.dnsServers = try parsedDNSServers()
        return place
    }
}

extension DirectoryPlace {
    /// Who this host is now, to compare with its join record: instance metadata is asked only when the
    /// record names an instance id. `metadata`: a client the command holds already (one session token).
    func currentIdentity(metadata: InstanceMetadata? = nil) -> CurrentIdentity {
        CurrentIdentity(files: files, instance: MetadataInstanceID(metadata: metadata))
    }
}

extension HealthReport {
    /// The lines `status` and `join --unless-joined` both print first.
    var summaryLines: [(String, String)] {
        [
            ("domain", domain ?? "-"),
            ("computer-name", computerName ?? "-"),
            ("computer-dn", computerDN ?? "-"),
            ("domain-controller", domainController ?? "-"),
            ("kvno", keyVersion.map(String.init) ?? "-"),
        ]
    }

    /// The JSON members after `status` that both print.
    var summaryJSON: [(String, JSON)] {
        [
            ("domain", .optional(domain)),
            ("computerName", .optional(computerName)),
            ("computerDN", .optional(computerDN)),
            ("domainController", .optional(domainController)),
            ("kvno", keyVersion.map { .number(Int64($0)) } ?? .null),
        ]
    }
}
