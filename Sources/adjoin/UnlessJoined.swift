import AdjoinCore
import Join

extension JoinCommand {
    /// `join --unless-joined`: when `status` would call this host healthy, report it as JOINED and
    /// return true; the boot unit then changes nothing. Any other state goes on to a normal join.
    func alreadyJoined(reporter: Reporter, deadline: Deadline) throws(AdjoinError) -> Bool {
        var place = DirectoryPlace(files: HostFiles(root: root))
        place.domainControllers = try options.parsedDomainControllers()
        place.dnsServers = try options.parsedDNSServers()
        let report = HostHealth(place: place, progress: reporter.progress).run(deadline: deadline)
        guard report.status == .healthy, report.domain == domain.lowercased() else {
            reporter.progress("Not joined and healthy (\(report.status): \(report.message)): joining")
            return false
        }
        let message = "already joined and healthy: \(report.message); nothing changed"
        reporter.success(lines: [
            ("domain", report.domain ?? "-"),
            ("computer-name", report.computerName ?? "-"),
            ("computer-dn", report.computerDN ?? "-"),
            ("domain-controller", report.domainController ?? "-"),
            ("kvno", report.keyVersion.map(String.init) ?? "-"),
            ("host", "already configured, nothing changed"),
            ("status", Status.joined.rawValue),
        ], json: .object([
            ("status", .string(Status.joined.rawValue)),
            ("domain", .optional(report.domain)),
            ("computerName", .optional(report.computerName)),
            ("computerDN", .optional(report.computerDN)),
            ("domainController", .optional(report.domainController)),
            ("kvno", report.keyVersion.map { .number(Int64($0)) } ?? .null),
            ("configured", .array([])),
            ("durationMs", .number(deadline.elapsed.milliseconds)),
            ("message", .string(message)),
        ]))
        return true
    }
}
