import AdjoinCore
import Join

extension JoinCommand {
    /// `join --unless-joined`: when `status` would call this host healthy, report it as JOINED and
    /// return true; the boot unit then changes nothing. Any other state goes on to a normal join.
    func alreadyJoined(reporter: Reporter, instance: any InstanceIDReader, deadline: Deadline) throws(AdjoinError) -> Bool {
        let place = try options.place(root: root)
        let report = HostHealth(place: place, progress: reporter.progress).run(deadline: deadline, identity: CurrentIdentity(files: place.files, instance: instance))
        // On EC2 the domain is in the settings, not yet read: any healthy join will do.
        guard report.status == .healthy, domain.map({ report.domain == $0.lowercased() }) ?? true else {
            reporter.progress("Not joined and healthy (\(report.status): \(report.message)): joining")
            return false
        }
        let message = "already joined and healthy: \(report.message); nothing changed"
        reporter.success(lines: report.summaryLines + [
            ("host", "already configured, nothing changed"),
            ("status", Status.joined.rawValue),
        ], json: .object([
            ("status", .string(Status.joined.rawValue)),
        ] + report.summaryJSON + [
            ("configured", .array([])),
            ("durationMs", .number(deadline.elapsed.milliseconds)),
            ("message", .string(message)),
        ]))
        return true
    }
}
