import AdjoinCore
import AWS

/// Writes a run's states to the status table, if one is configured. A write that finally fails is
/// kept as a problem to report: it never turns a good join into a failed one.
public final class StatusReporter {
    public let table: String?
    private let writer: StatusTable?
    private var template: StatusRecord
    private var lastWrite: ContinuousClock.Instant?
    /// A join that keeps trying writes JOINING at most this often, so that a booting fleet's retries do
    /// not become a second storm against the table.
    public var retryWriteInterval: Duration = .seconds(60)
    /// The last write's result, for output: "written", "superseded" (a newer run's state is there),
    /// or the failure's message.
    public private(set) var lastResult: String?
    public private(set) var failed = false

    /// No table: nothing is written, nothing is reported.
    /// `instanceId` reports for another instance than this one (a remote leave).
    public init(context: InstanceContext?, instanceId: String? = nil) throws(AdjoinError) {
        guard let context, let table = context.settings.statusTable else {
            table = nil
            writer = nil
            template = StatusRecord(instanceId: "", status: .joining, runStartedAtMilliseconds: 0)
            return
        }
        self.table = table
        writer = try StatusTable(
            table: table, region: context.settings.statusRegion ?? context.region,
            roleArn: context.settings.statusRoleArn, sessionName: "adjoin-" + context.identity.instanceId,
            credentials: context.credentials, environment: context.environment)
        let own = instanceId == nil || instanceId == context.identity.instanceId
        template = StatusRecord(
            instanceId: instanceId ?? context.identity.instanceId, status: .joining,
            accountId: own ? context.identity.accountId : nil, region: own ? context.identity.region : nil,
            runStartedAtMilliseconds: StatusRecord.now())
    }

    /// For an admin command (a remote leave) reporting for `instanceId`: through the instance's own
    /// context on an instance, as above; elsewhere with the admin's credentials, the session named after
    /// the caller, and no account or Region in the item (they are the instance's, which the admin's are not).
    public convenience init(admin: AdminContext, instanceId: String) throws(AdjoinError) {
        if let instance = admin.instance {
            try self.init(context: instance, instanceId: instanceId)
            return
        }
        try self.init(
            table: admin.settings.statusTable,
            writing: { (table) throws(AdjoinError) in
                try StatusTable(
                    table: table, region: admin.settings.statusRegion ?? admin.region, roleArn: admin.settings.statusRoleArn,
                    sessionName: "adjoin-" + admin.caller, credentials: admin.credentials, environment: admin.environment)
            }, template: StatusRecord(instanceId: instanceId, status: .joining, runStartedAtMilliseconds: StatusRecord.now()))
    }

    private init(table: String?, writing: (String) throws(AdjoinError) -> StatusTable, template: StatusRecord) throws(AdjoinError) {
        self.table = table
        writer = try table.map(writing)
        self.template = template
    }

    /// A new attempt of a join that keeps trying: its writes are ordered after the earlier attempts'.
    public func beginAttempt(_ attempt: Int) {
        template.attempt = attempt
        template.runStartedAtMilliseconds = max(StatusRecord.now(), template.runStartedAtMilliseconds + 1)
    }

    /// Whether a JOINING that only reports another attempt is due (the first always is).
    public var retryWriteDue: Bool {
        lastWrite.map { ContinuousClock.now - $0 >= retryWriteInterval } ?? true
    }

    /// Records one state; `fill` adds what is known (domain, names, DC).
    public func record(
        _ status: Status, message: String, elapsed: Duration, deadline: Deadline,
        progress: (String) -> Void, fill: (inout StatusRecord) -> Void = { _ in }
    ) {
        guard let writer, let table else { return }
        lastWrite = .now
        var record = template
        record.status = status
        record.message = message
        record.durationMs = elapsed.milliseconds
        fill(&record)
        do throws(AdjoinError) {
            switch try writer.record(record, deadline: deadline) {
            case .written:
                lastResult = "written"
            case .superseded:
                lastResult = "superseded"
                progress("status table \(table): a newer state is already recorded for \(record.instanceId); \(status) not written")
            }
        } catch {
            failed = true
            lastResult = error.message
            progress("warning: could not record \(status) in status table \(table): \(error.message)")
        }
    }
}
