import AdjoinCore
import AWS
import Membership

/// `adjoin leave`: this host leaves its domain, or (remote) a dead instance's account is removed from
/// elsewhere. With settings or a status table, the instance's item says DETACHED.
public struct LeaveUseCase: UseCase {
    public enum Target: Sendable {
        /// The joined host itself; `onlyIfTerminating`: only when metadata says the instance is going away.
        case thisHost(onlyIfTerminating: Bool)
        /// Another instance's account, by name, by owning instance id, or both.
        case remote(computerName: String?, instanceID: String?)
    }

    public struct Options: Sendable {
        public var target: Target
        public var domain: String?
        public var user: String?
        public var passwordFromStandardInput = false
        public var parameter: String?
        public var statusTable: String?
        /// This host only: its account stays in the directory.
        public var keepAccount = false
        /// Remote, by name: also an account without adjoin's owner marker.
        public var allowUnmarked = false
        /// Remote: say what would be removed, remove nothing.
        public var dryRun = false
        public var directory: DirectoryFlags

        public init(target: Target, directory: DirectoryFlags) {
            self.target = target
            self.directory = directory
        }

        var isRemote: Bool {
            if case .remote = target { return true }
            return false
        }

        /// The settings parameter is read when named, and for a remote leave that has no --domain.
        var readsParameter: Bool { parameter != nil || (isRemote && domain == nil) }
    }

    public let options: Options

    public init(_ options: Options) { self.options = options }

    public func run(_ context: RunContext) throws(CommandFailure) -> CommandReport {
        let deadline = context.deadline
        do throws(AdjoinError) {
            let lock = options.isRemote ? nil : try lockHost(files: context.files, deadline: deadline, progress: context.progress)
            defer { lock?.release() }
            // One metadata client (one session token) for the check and the settings that follow.
            var metadata: InstanceMetadata?
            if case .thisHost(onlyIfTerminating: true) = options.target {
                let client = try InstanceMetadata(environment: context.environment)
                metadata = client
                if let reason = try TerminationCheck.reasonNotTerminating(metadata: client, deadline: deadline) {
                    let message = "not leaving: \(reason)"
                    return CommandReport(
                        status: .skipped, fields: [.statusLine, .duration(deadline.elapsed), .string("message", "message", message)])
                }
            }
            let flags = try SettingFlags.adminSettings(
                domain: options.domain, joinUser: options.user, statusTable: options.statusTable,
                passwordFromStandardInput: options.passwordFromStandardInput)
            // A remote leave runs as an admin command (the SDKs' credential chain, from anywhere); a leave
            // on the host itself is the instance's.
            if case .remote(let computerName, let instanceID) = options.target {
                let admin = try adminContext(flags: flags, context: context)
                let (result, reported) = try leaveRemotely(
                    computerName: computerName, instanceID: instanceID, settings: admin?.settings ?? flags,
                    context)
                if options.dryRun { return CommandReport(verbatim: Self.dryRunText(result)) }
                let status = try admin.flatMap { (admin) throws(AdjoinError) in
                    try reported.map { (id) throws(AdjoinError) in try StatusReporter(admin: admin, instanceId: id) }
                }
                return reportDetached(result, status: status, context)
            }
            let instance = try instanceContext(flags: flags, metadata: metadata, context: context)
            let result = try leaveThisHost(settings: instance?.settings ?? flags, instance: instance, metadata: metadata, context)
            return reportDetached(result, status: instance == nil ? nil : try StatusReporter(context: instance), context)
        } catch {
            throw CommandFailure(error, domain: options.domain, elapsed: deadline.elapsed)
        }
    }

    /// A remote leave: the account found by name or by the instance id, removed through a DC as the join
    /// user; and the instance it was for (by name, the recorded owner), for the status table.
    private func leaveRemotely(
        computerName: String?, instanceID: String?, settings: AgentSettings,
        _ context: RunContext
    ) throws(AdjoinError) -> (LeaveResult, reported: String?) {
        var place = try options.directory.place(in: context)
        if place.domainControllers.isEmpty { place.domainControllers = settings.domainControllers }
        guard let remoteDomain = settings.domain else {
            throw .invalidInput("a remote leave needs the domain: --domain, or domain in the settings parameter")
        }
        let password = try JoinPassword.resolve(settings, missing: LeaveUseCase.noPassword)
        var leave = RemoteLeave(
            domain: remoteDomain, place: place, user: try checkedUser(settings.joinUser, domain: remoteDomain), password: password,
            computerName: try computerName.map { (name) throws(AdjoinError) in try ComputerName(explicit: name) },
            instanceID: instanceID, progress: context.progress)
        leave.allowUnmarked = options.allowUnmarked
        leave.dryRun = options.dryRun
        let result = try leave.run(deadline: context.deadline)
        return (result, instanceID ?? result.owner.flatMap { $0.hasPrefix("i-") ? $0 : nil })
    }

    /// This host leaves: its account removed (as itself, or as --user), then its files put back.
    private func leaveThisHost(
        settings: AgentSettings, instance: InstanceContext?, metadata: InstanceMetadata?,
        _ context: RunContext
    ) throws(AdjoinError) -> LeaveResult {
        let place = try options.directory.place(in: context)
        let joinUser = try options.user.map { (name) throws(AdjoinError) in
            (name: try checkedUser(name, domain: nil), password: try JoinPassword.resolve(settings, missing: LeaveUseCase.noPassword))
        }
        let identity =
            instance.map { CurrentIdentity(files: place.files, instance: $0) }
            ?? place.currentIdentity(environment: context.environment, metadata: metadata)
        var leave = HostLeave(place: place, joinUser: joinUser, progress: context.progress)
        leave.keepAccount = options.keepAccount
        return try leave.run(deadline: context.deadline, identity: identity)
    }

    /// DETACHED in the status table, when there is one, and the report.
    private func reportDetached(_ result: LeaveResult, status: StatusReporter?, _ context: RunContext) -> CommandReport {
        let deadline = context.deadline
        status?.record(.detached, message: result.message, elapsed: deadline.elapsed, deadline: deadline, progress: context.progress) {
            $0.domain = result.domain
            $0.computerName = result.computerName
            $0.computerDN = result.computerDN
            $0.domainController = result.domainController
        }
        return LeaveUseCase.report(result, statusTable: status?.lastResult, elapsed: deadline.elapsed)
    }

    /// A remote leave's dry run: what would go, through which DC; nothing was changed.
    static func dryRunText(_ result: LeaveResult) -> String {
        let through = result.domainController.map { " (through \($0))" } ?? ""
        if result.wouldRemove.isEmpty { return result.message + through + "\n" }
        return result.wouldRemove.map { "would remove \($0)\(through)\n" }.joined()
    }

    private static let noPassword = "no join password: the settings hold none; give --user with --password-stdin"

    static func report(_ result: LeaveResult, statusTable: String?, elapsed: Duration) -> CommandReport {
        let removed =
            result.removed.isEmpty ? (result.accountWasGone ? "nothing (already gone)" : "nothing") : result.removed.joined(separator: ", ")
        return CommandReport(
            status: result.status,
            fields: [
                .string("domain", "domain", result.domain),
                .string("computer-name", "computerName", result.computerName),
                .string("computer-dn", "computerDN", result.computerDN),
                .string("owner", "owner", result.owner),
                // Text names the copy beside the owner; JSON after the removals.
                .text("copy-of", result.copyOf ?? "-"),
                .string("domain-controller", "domainController", result.domainController),
                .both("removed", "removed", text: removed, json: .array(result.removed.map { .string($0) })),
                .json("accountWasGone", .bool(result.accountWasGone)),
                .json("copyOf", .optional(result.copyOf)),
                .string("dns-record", "dnsRecord", result.dnsRecord),
                .both(
                    "restored", "restored", text: result.restored.isEmpty ? "-" : result.restored.joined(separator: ", "),
                    json: .array(result.restored.map { .string($0) })),
                .statusLine,
                .json("statusTable", .optional(statusTable)),
                .duration(elapsed),
                .json("message", .string(result.message)),
            ])
    }

    /// A remote leave's AWS side when it needs one: settings (no --domain, or --parameter), or a status
    /// table to report to. Its failure fails the leave: the settings say where and as whom.
    private func adminContext(flags: AgentSettings, context: RunContext) throws(AdjoinError) -> AdminContext? {
        guard options.readsParameter || options.statusTable != nil else { return nil }
        let pointer = options.parameter == nil ? try CentralSettingsPointer.read(context.files) : nil
        return try AdminContext.load(
            parameter: options.readsParameter ? options.parameter ?? AWSNames.defaultParameter : nil, settingsPointer: pointer,
            flags: flags, context: context, deadline: context.deadline, progress: context.progress)
    }

    /// Identity, credentials and settings from AWS when the leave needs them: settings with
    /// --parameter, or a status table to report to. A leave on the host itself uses the
    /// machine's own keys, so failing to reach AWS only costs the status item there.
    private func instanceContext(
        flags: AgentSettings, metadata: InstanceMetadata?, context: RunContext
    ) throws(AdjoinError) -> InstanceContext? {
        // A host joined from the settings parameter reports its leave where its join reported.
        let recorded = options.isRemote ? nil : try? JoinRecord.read(context.files)?.settingsParameter
        guard options.readsParameter || options.statusTable != nil || recorded != nil else { return nil }
        let parameter = options.parameter ?? recorded ?? nil
        do throws(AdjoinError) {
            let pointer = options.parameter == nil ? try CentralSettingsPointer.read(context.files) : nil
            return try InstanceContext.load(
                parameter: options.readsParameter || parameter != nil ? parameter ?? AWSNames.defaultParameter : nil,
                settingsPointer: pointer,
                flags: flags, readTags: false, environment: context.environment,
                metadata: metadata, deadline: context.deadline, progress: context.progress)
        } catch  where !options.isRemote {
            context.progress("warning: \(error.message); leaving without a status item")
            return nil
        }
    }

    /// `domain`: nil on this host without --domain; the leave checks the realm once it has read the record.
    private func checkedUser(_ given: String?, domain: DomainName?) throws(AdjoinError) -> String {
        let name = given ?? ""
        try JoinRequest.checkUser(name, domain: domain?.value)
        return name
    }
}
