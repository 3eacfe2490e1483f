import AdjoinCore
import AWS
import HostConfig
import Membership

/// `adjoin join`, with flags or on an instance from its settings: settings resolved (the parameter's,
/// with the flags laid over them), the opt-out honoured, the host locked, the DC located and the host
/// planned, the account and keytab made, the host configured, and each state written to the status
/// table. With `retryFor`, attempts that fail for a reason that can pass are tried again (BootRetry).
public struct JoinUseCase: UseCase {
    public struct Options: Sendable {
        /// What the command line says of the settings (`--domain`, `--user`, `--allow-group`...): laid
        /// over the parameter's, or alone.
        public var settings = SettingFlags()
        public var parameter: String?
        public var passwordFromStandardInput = false
        /// `--one-time-password-stdin`: standard input holds the one-time password of a preset account,
        /// and the host logs in as the computer itself; no join user.
        public var oneTimePasswordFromStandardInput = false
        public var hostFQDN: String?
        public var computerName: String?
        public var keytab = HostPath.defaultKeytab
        public var owner: String?
        public var rc4 = false
        /// false: `--no-configure` (only the account and the keytab).
        public var configure = true
        public var dryRun = false
        public var unlessJoined = false
        /// How long to keep trying (`--retry-for`); nil: one attempt.
        public var retryFor: Duration?
        /// `--broker URL`: join through the broker (no join password on this host); nil: ADJOIN_BROKER_URL in
        /// /etc/default/adjoin, else the settings' `broker`, else no broker.
        public var broker: String?
        public var directory: DirectoryFlags

        public init(directory: DirectoryFlags) { self.directory = directory }

        var domain: String? { settings.text(.domain) }

        /// Settings come from AWS when no domain is given, or a parameter is named explicitly.
        var readsParameter: Bool { domain == nil || parameter != nil }
    }

    public let options: Options

    public init(_ options: Options) { self.options = options }

    public func run(_ context: RunContext) throws(CommandFailure) -> CommandReport {
        let state = JoinAttempts(domainName: options.domain, environment: context.environment)
        var deadline = context.deadline
        // The password kept for the attempts is wiped as soon as the join is over, whatever its outcome.
        defer {
            state.forgetPassword()
            state.kept.forget()
        }
        do throws(AdjoinError) {
            guard let budget = options.retryFor else { return try attempt(nil, context, state: state) }
            state.whole = Deadline(seconds: budget.seconds)
            let retry = BootRetry(budget: budget)
            state.longestAttempt = retry.longestAttempt
            return try retry.run(
                perAttempt: options.directory.timeout,
                retrying: { retry in
                    context.progress(
                        "attempt \(retry.attempt) failed: \(retry.failure.status): \(retry.failure.message); "
                            + "trying again in \(retry.pause.milliseconds) ms")
                    state.lastFailure = retry.failure
                }
            ) { (number, attemptDeadline) throws(AdjoinError) in
                deadline = attemptDeadline
                var budget = attemptDeadline
                while true {
                    do throws(AdjoinError) {
                        return try attempt(number, context.with(deadline: budget), state: state)
                    } catch {
                        // A password kept from the broker's answer that no longer logs in: the next one kept (the
                        // password the failed attempt before changed the account to), else a new answer from the
                        // broker, with an attempt's whole time (the refused login took little of it).
                        switch state.kept.attemptFailed(error) {
                        case .report: throw error
                        case .tryNext(let why):
                            context.progress(why)
                            continue
                        case .askBroker: break
                        }
                        context.progress("no password kept from the broker's answer logs in (\(error.message)): asking the broker again")
                        state.kept.forget()
                        budget = Deadline(seconds: max(attemptDeadline.remaining.seconds, options.directory.timeout))
                    }
                }
            }
        } catch {
            state.status?.record(
                error.status, message: error.message, elapsed: state.elapsed, deadline: deadline, progress: context.progress
            ) {
                $0.domain = state.domainName
            }
            throw CommandFailure(error, domain: state.domainName, elapsed: state.elapsed)
        }
    }

    /// One attempt of the join (`number`: which one, when the join keeps trying). What it learnt about the
    /// instance (identity, metadata token, credentials, settings) and its status reporter stay for the next.
    private func attempt(_ number: Int?, _ given: RunContext, state: JoinAttempts) throws(AdjoinError) -> CommandReport {
        var context = given
        // Each attempt takes the host's lock within its own budget: BUSY is one of the outcomes worth another attempt.
        let lock = options.dryRun ? nil : try lockHost(files: context.files, deadline: context.deadline, progress: context.progress)
        defer { lock?.release() }
        if options.unlessJoined, let report = try alreadyJoined(context, state: state) { return report }
        let flags = try commandLineSettings(state)
        if state.context == nil, options.readsParameter || options.settings.text(.statusTable) != nil {
            let (skipped, afterRead) = try readInstance(flags: flags, context, state: state)
            if let skipped { return skipped }
            context = afterRead
        } else if let skipped = try brokerPasswordForALaterAttempt(context, state: state) {
            return skipped
        }
        var settings = state.context?.settings ?? flags
        state.passwordForThisAttempt(&settings)
        let hostJoin = try hostJoin(settings: settings, flags: flags, context, state: state)
        let identity = CurrentIdentity(files: context.files, instance: state)
        if options.dryRun { return CommandReport(verbatim: try hostJoin.dryRun(deadline: context.deadline, identity: identity)) }
        reportJoining(number, hostJoin.join.request, context, state: state)
        let outcome = try hostJoin.run(deadline: context.deadline, identity: identity)
        return joined(outcome, request: hostJoin.join.request, number, context, state: state)
    }

    /// The instance's identity, tags and settings (or the broker's answer), its status reporter: read once for
    /// all attempts. Every read is a GetParameter against the quota that the whole fleet booting shares (40 a
    /// second per account and Region by default). In a boot join the settings read waits out the quota on its
    /// own clock (`JoinAttempts.settingsDeadline`), and the attempt's budget begins once it has them: a read
    /// throttled for most of an attempt would leave the DC seconds for a join that its queue makes longer,
    /// and the DC would then do work that the attempt's timeout throws away. Returns a report when the
    /// instance opted out, or the broker said to skip it (nil: go on and join), and the attempt's context.
    private func readInstance(
        flags: AgentSettings, _ given: RunContext, state: JoinAttempts
    ) throws(AdjoinError) -> (skipped: CommandReport?, context: RunContext) {
        // A broker named on the command line or in /etc/default/adjoin: no settings are read at all.
        let namedBroker = try brokerNamedOnThisHost(given.files)
        let reading = ContinuousClock.now
        var loaded = try InstanceContext.load(
            parameter: namedBroker == nil ? settingsParameter : nil,
            settingsPointer: namedBroker == nil ? try settingsPointer(given.files) : nil,
            flags: flags, readsJoinPassword: !options.oneTimePasswordFromStandardInput,
            environment: given.environment,
            metadata: try state.instanceMetadata(), credentials: state.credentials,
            deadline: given.deadline, settingsDeadline: state.settingsDeadline(), progress: given.progress)
        let context = state.attemptFromNow(given, settingsWaited: ContinuousClock.now - reading)
        state.broker = nil
        if let url = namedBroker ?? (loaded.optedOut ? nil : loaded.settings.broker) {
            guard !options.dryRun else {
                throw .invalidInput("a join through the broker (\(url)) has no --dry-run: asking the broker resets this instance's account")
            }
            state.brokerAsked = (url, loaded, flags)
            switch try askBroker(context, state: state) {
            case .some(let answered): loaded = answered
            case .none: return (optedOut(loaded, context, state: state, message: state.skippedMessage), context)
            }
        }
        state.context = loaded
        state.credentials = loaded.credentials
        state.domainName = loaded.settings.domain?.value ?? state.domainName
        if !options.dryRun, state.status == nil { state.status = try StatusReporter(context: loaded) }
        return (loaded.optedOut ? optedOut(loaded, context, state: state) : nil, context)
    }

    /// A later attempt through the broker: a password kept from its last answer (the one-time password, which
    /// logs in until an attempt changes it, or what a failed attempt changed it to), else a new answer. Asking
    /// again at once would reset the account, which the broker refuses for a minute after the last reset
    /// (RATE_LIMITED). A report when the broker now says the instance opts out.
    private func brokerPasswordForALaterAttempt(_ context: RunContext, state: JoinAttempts) throws(AdjoinError) -> CommandReport? {
        guard let asked = state.brokerAsked, state.broker == nil else { return nil }
        if let kept = state.kept.forThisAttempt() {
            context.progress(
                "logging in as \(kept.computerName.samAccountName) with a password kept from the broker's answer "
                    + "(a new answer would need the broker to reset the account, which it does at most once a minute)")
            state.broker = kept
            return nil
        }
        return try askBroker(context, state: state) == nil
            ? optedOut(asked.context, context, state: state, message: state.skippedMessage) : nil
    }

    /// The broker `--broker` names, else ADJOIN_BROKER_URL in /etc/default/adjoin when the default parameter would be read.
    private func brokerNamedOnThisHost(_ files: HostFiles) throws(AdjoinError) -> String? {
        if let broker = options.broker { return broker }
        guard options.readsParameter, options.parameter == nil else { return nil }
        return try InstanceBroker.url(in: files)
    }

    /// The settings parameter to read: --parameter, else the default; nil when the flags say it all.
    private var settingsParameter: String? {
        options.readsParameter ? options.parameter ?? AWSNames.defaultParameter : nil
    }

    /// The central settings table /etc/default/adjoin points to, when the default parameter would be read.
    private func settingsPointer(_ files: HostFiles) throws(AdjoinError) -> CentralSettingsPointer? {
        guard options.readsParameter, options.parameter == nil else { return nil }
        return try CentralSettingsPointer.read(files)
    }

    /// The join of this attempt: its request from the resolved settings, the DC's side and the host's.
    private func hostJoin(
        settings: AgentSettings, flags: AgentSettings, _ context: RunContext, state: JoinAttempts
    ) throws(AdjoinError) -> HostJoin {
        let instance = state.context
        var request = try joinRequest(
            settings: settings, instance: instance, files: context.files,
            ec2Identity: instance == nil ? flagJoinEC2Identity(context, state: state) : nil, broker: state.broker)
        // The login wipes the one-time password it is given; a copy stays kept for a later attempt, and so
        // does the password this attempt changes it to (`attemptFailed`).
        if state.broker != nil {
            let changed = MachinePassword.generate()
            request.changedPassword = changed.copy()
            state.kept.willChange(to: changed)
        }
        state.broker = nil
        if request.registerDNS, request.dnsAddress == nil, instance != nil {
            request.dnsAddress = instanceAddress(context, state: state)
            if request.dnsAddress != nil { request.dnsAddressSource = .instance }
        }
        var domainJoin = DomainJoin(request, connector: context.connector, clock: context.clock, progress: context.progress)
        domainJoin.updateSamba = settings.updateSamba
        return HostJoin(domainJoin, login: try loginSettings(settings, flags: flags, instance: instance))
    }

    /// JOINING in the status table: on the first attempt, and on a later one when the rate limit allows a write.
    private func reportJoining(_ number: Int?, _ request: JoinRequest, _ context: RunContext, state: JoinAttempts) {
        guard let status = state.status else { return }
        if let number { status.beginAttempt(number) }
        guard number ?? 1 == 1 || status.retryWriteDue else { return }
        let retrying =
            number.flatMap { $0 > 1 ? $0 : nil }.map {
                "attempt \($0) (the last one: \(state.lastFailure.map { "\($0.status): \($0.message)" } ?? "-")): "
            } ?? ""
        status.record(
            .joining, message: retrying + "joining \(request.domain) as \(request.computerName)", elapsed: state.elapsed,
            deadline: context.deadline, progress: context.progress
        ) {
            $0.domain = request.domain.value
            $0.computerName = request.computerName.value
        }
    }

    /// JOINED: the status table told, and the report of what was done.
    private func joined(
        _ outcome: HostJoin.Outcome, request: JoinRequest, _ number: Int?, _ context: RunContext, state: JoinAttempts
    ) -> CommandReport {
        let result = outcome.join
        let instance = state.context
        let status = state.status
        let configured =
            !options.configure
            ? "not asked (--no-configure)"
            : outcome.configured.isEmpty ? "already configured, nothing changed" : outcome.configured.joined(separator: ", ")
        let keys =
            result.keysKept
            ? "keys kept, keytab \(result.keytabPath) logs in at kvno \(result.kvno)"
            : "keytab \(result.keytabPath) proven at kvno \(result.kvno)"
        let message = Self.joinedMessage(result, keys: keys, configured: configured)
        status?.record(.joined, message: message, elapsed: state.elapsed, deadline: context.deadline, progress: context.progress) {
            $0.domain = result.domain
            $0.computerName = result.computerName
            $0.computerDN = result.computerDN
            $0.domainController = result.domainController
        }
        let written = status?.table.flatMap { table in status?.lastResult.map { "\(table): \($0)" } }
        return CommandReport(
            status: .joined,
            fields: [
                ReportField(
                    lines: instance.map { [("instance-id", $0.identity.instanceId)] } ?? [],
                    member: ("instanceId", .optional(instance?.identity.instanceId))),
                .string("domain", "domain", result.domain),
                .string("computer-name", "computerName", result.computerName),
                .string("computer-dn", "computerDN", result.computerDN),
                .string("domain-controller", "domainController", result.domainController),
                .number("kvno", "kvno", result.kvno),
                .text("keytab", result.keytabPath),
                .text("enctypes", result.encryptionTypes.map(\.name).joined(separator: " ")),
                ReportField(
                    lines: request.serviceNames.isEmpty
                        ? [] : [("service-principals", request.serviceClassPrincipalNames.joined(separator: " "))],
                    member: ("servicePrincipals", .array(request.serviceClassPrincipalNames.map { .string($0) }))),
                ReportField(
                    lines: result.removedServicePrincipals.map { ("removed-spn", $0) },
                    member: result.removedServicePrincipals.isEmpty
                        ? nil : ("removedServicePrincipals", .array(result.removedServicePrincipals.map { .string($0) }))),
                .both("host", "configured", text: configured, json: .array(outcome.configured.map { .string($0) })),
                ReportField(
                    lines: result.dnsRecord.map { [("dns-record", "\($0)")] } ?? [],
                    member: ("dnsRecord", .optional(result.dnsRecord.map { "\($0)" }))),
                // Text counts the attempts before its status; JSON after the status table's write.
                .text("attempts", each: number.map { [String($0)] } ?? []),
                .statusLine,
                ReportField(
                    lines: result.warnings.map { ("warning", $0) }, member: ("warnings", .array(result.warnings.map { .string($0) }))),
                ReportField(lines: written.map { [("status-table", $0)] } ?? [], member: ("statusTable", .optional(status?.lastResult))),
                ReportField(lines: [], member: number.map { ("attempts", .number(Int64($0))) }),
                .duration(state.elapsed),
                .json("message", .string(message)),
            ])
    }

    /// The status item's JOINED message: what was done, then the join's warnings, so that a fleet's operator finds in
    /// the table the hosts joined without their DNS record (a DNS server a storm kept too busy) and runs the join again
    /// there.
    static func joinedMessage(_ result: JoinResult, keys: String, configured: String) -> String {
        "\(result.created ? "created" : "reused") \(result.computerDN); \(keys); host: \(configured)"
            + (result.sambaNote.map { "; \($0)" } ?? "") + result.warnings.map { "; warning: \($0)" }.joined()
    }

    /// Asks the broker that `state.brokerAsked` names for this instance's account: the context answered by
    /// it (its answer in `state.broker`, a copy kept for later attempts), or nil when the broker says the
    /// instance opts out (its message in `state.skippedMessage`).
    private func askBroker(_ context: RunContext, state: JoinAttempts) throws(AdjoinError) -> InstanceContext? {
        guard let asked = state.brokerAsked else { return nil }
        state.kept.forget()
        switch try InstanceBroker.ask(asked.url, instance: asked.context, deadline: context.deadline, progress: context.progress) {
        case .join(let answer):
            let answered = asked.context.answered(by: asked.url, settings: answer.settings, flags: asked.flags)
            state.broker = answer
            state.kept.answered(answer.copy())
            state.context = answered
            return answered
        case .skipped(let message):
            state.context = asked.context
            state.credentials = asked.context.credentials
            state.skippedMessage = message
            return nil
        }
    }

    /// The instance's tags opt it out: SKIPPED, and nothing else happens.
    private func optedOut(
        _ loaded: InstanceContext, _ context: RunContext, state: JoinAttempts, message given: String? = nil
    ) -> CommandReport {
        let message = given ?? "the instance's tag \(loaded.settings.autoJoinTag)=false opts it out: nothing was joined or changed"
        state.status?.record(.skipped, message: message, elapsed: state.elapsed, deadline: context.deadline, progress: context.progress) {
            $0.domain = state.domainName
        }
        return CommandReport(
            status: .skipped,
            fields: [
                .string("instance-id", "instanceId", loaded.identity.instanceId),
                .statusLine,
                .json("domain", .optional(state.domainName)),
                .json("statusTable", .optional(state.status?.lastResult)),
                .duration(state.elapsed),
                .string("message", "message", message),
            ])
    }

    /// `--unless-joined`: when `status` would call this host healthy, its report as JOINED; the boot
    /// unit then changes nothing. nil: any other state, which goes on to a normal join.
    private func alreadyJoined(_ context: RunContext, state: JoinAttempts) throws(AdjoinError) -> CommandReport? {
        let place = try options.directory.place(in: context)
        let report = HostHealth(place: place, progress: context.progress)
            .run(deadline: context.deadline, identity: CurrentIdentity(files: place.files, instance: state))
        // A skewed clock is not a broken join: joining again would reset good keys and still leave the
        // clock wrong. The failure lets the boot join wait for the time service and try again.
        if report.status == .clockSkew { throw AdjoinError(.clockSkew, report.message) }
        // On EC2 the domain is in the settings, not yet read: any healthy join will do. A name given on the
        // command line that is not the joined one is a rename, which the join itself refuses, naming the account.
        let named =
            options.computerName.flatMap { try? ComputerName(explicit: $0) }
            ?? options.hostFQDN.flatMap { try? ComputerName(hostFQDN: InputNames.hostName($0)) }
        guard report.status == .healthy, options.domain.map({ report.domain == $0.lowercased() }) ?? true,
            named.map({ $0.value.uppercased() == report.computerName?.uppercased() }) ?? true
        else {
            context.progress("Not joined and healthy (\(report.status): \(report.message)): joining")
            return nil
        }
        if let change = try accessChange(since: try JoinRecord.read(place.files), context, state: state) {
            context.progress("Joined and healthy, but \(change): joining again to configure it")
            return nil
        }
        return CommandReport(
            status: .joined,
            fields: report.summary + [
                .both("host", "configured", text: "already configured, nothing changed", json: .array([])),
                .statusLine,
                .duration(context.deadline.elapsed),
                .json("message", .string("already joined and healthy: \(report.message); nothing changed")),
            ])
    }

    /// `--unless-joined` on a healthy host: who may log in or use sudo as the flags say, or on EC2 the
    /// instance's tags (retagged since the join), against what the join recorded. Read without the settings,
    /// and so without a password; a group the settings alone name is noticed when the join runs again.
    /// nil: nothing that can be seen here changed.
    private func accessChange(since record: JoinRecord?, _ context: RunContext, state: JoinAttempts) throws(AdjoinError) -> String? {
        let flags = try commandLineSettings(state, password: false)
        let services = flags.servicePrincipals.map(\.value)
        if !services.isEmpty, Set(services.map { $0.lowercased() }) != Set(record?.serviceNames.map { $0.lowercased() } ?? []) {
            let before = record?.serviceNames ?? []
            return
                "the service names are now \(services.joined(separator: ", ")), not \(before.isEmpty ? "none" : before.joined(separator: ", "))"
        }
        guard options.configure, let recorded = record?.access else { return nil }
        var allowed = flags.login.allowedGroups
        var sudo = flags.login.sudoGroup
        if options.readsParameter, allowed.isEmpty || sudo == nil {
            let defaults = AgentSettings()
            // Through a broker the instance's role may call nothing but the broker: tags from metadata only
            // (a retag is noticed where metadata exposes tags; the broker reads them from EC2 at each join).
            var throughBroker = options.broker != nil
            if !throughBroker, options.parameter == nil { throughBroker = try InstanceBroker.url(in: context.files) != nil }
            let tags: InstanceTags
            if throughBroker {
                guard let exposed = try state.instanceMetadata().tags(deadline: context.deadline) else { return nil }
                tags = InstanceTags(exposed, source: "instance metadata")
            } else {
                tags = try InstanceContext.tags(
                    metadata: try state.instanceMetadata(), environment: context.environment,
                    deadline: context.deadline, progress: context.progress)
            }
            if allowed.isEmpty, let tagged = try tags.group(tag: defaults.groupTag) { allowed = [tagged] }
            if sudo == nil { sudo = try tags.group(tag: defaults.sudoGroupTag) }
        }
        let same = { (name: String, group: GroupName) in name.lowercased() == group.value.lowercased() }
        if !allowed.isEmpty, allowed.count != recorded.allowedGroups.count || !zip(recorded.allowedGroups, allowed).allSatisfy(same) {
            return "the groups allowed to log in are now \(allowed.map(\.value).joined(separator: ", ")), not "
                + (recorded.allowedGroups.isEmpty ? "none" : recorded.allowedGroups.joined(separator: ", "))
        }
        if let sudo, !(recorded.sudoGroup.map { same($0, sudo) } ?? false) {
            return "the sudo group is now \(sudo.value), not \(recorded.sudoGroup ?? "none")"
        }
        return nil
    }

    /// On EC2 the address to register is the instance's private IPv4 (what its peers in the VPC reach it
    /// by), or on an IPv6-only instance its IPv6 address (an AAAA record), from metadata; when metadata does not give it, the address toward the DC stands in, and the join says so.
    private func instanceAddress(_ context: RunContext, state: JoinAttempts) -> SocketAddress? {
        do {
            let text = try state.instanceMetadata().privateAddress(deadline: context.deadline)
            return try AgentSettings.dnsAddress(text)
        } catch {
            context.progress(
                "instance metadata did not give this instance's private address (\(error.message)): registering the address toward the DC")
            return nil
        }
    }

    /// Who may log in and how: the settings', with the groups the command line names, else the instance's
    /// tags, else the settings'. nil: `--no-configure`.
    private func loginSettings(
        _ settings: AgentSettings, flags: AgentSettings, instance: InstanceContext?
    ) throws(AdjoinError) -> LoginSettings? {
        guard options.configure else { return nil }
        var login = settings.login
        login.allowedGroups = try instance?.allowedGroups(flagged: flags.login.allowedGroups) ?? flags.login.allowedGroups
        login.sudoGroup = try instance?.sudoGroup(flagged: flags.login.sudoGroup) ?? flags.login.sudoGroup
        return login
    }

    /// What the command line says, as settings to lay over the parameter's: read once. The password is read
    /// (standard input) only when --password-stdin asks for it, and only when the join needs it.
    private func commandLineSettings(_ state: JoinAttempts, password: Bool = true) throws(AdjoinError) -> AgentSettings {
        var flags: AgentSettings
        if let read = state.flags {
            flags = read
        } else {
            flags = try options.settings.settings()
            let controllers = try options.directory.parsedDomainControllers()
            if !controllers.isEmpty {
                flags.domainControllers = controllers
                flags.given.insert(.domainControllers)
            }
        }
        if password, options.passwordFromStandardInput, !options.dryRun, !flags.given.contains(.joinPassword) {
            try flags.readPasswordFromStandardInput()
        }
        state.flags = flags
        return flags
    }
}

/// What the attempts of one `adjoin join` share: the instance's context once it is read, the status
/// reporter, the domain for messages, the last failure (for the status item), and when the command began.
final class JoinAttempts: InstanceIDReader {
    var context: InstanceContext?
    /// The broker's answer for this attempt (the login wipes its one-time password).
    var broker: InstanceBroker.Answer?
    /// The broker's last answer and the passwords kept from it, for the attempts after it.
    let kept = KeptBrokerAnswer()
    /// The broker asked, with the instance's context before its answer and the command line's settings.
    var brokerAsked: (url: String, context: InstanceContext, flags: AgentSettings)?
    /// The broker's message when it says the instance opts out.
    var skippedMessage: String?
    /// One metadata client for every attempt: its session token serves them all; likewise the role's credentials.
    private let metadata: MetadataInstanceID
    var credentials: AWSCredentialChain?
    var status: StatusReporter?
    var domainName: String?
    var lastFailure: AdjoinError?
    let started = ContinuousClock.now
    /// A boot join's whole `--retry-for`; nil for a single attempt.
    var whole: Deadline?
    /// How long a boot join's settings read may wait out SSM's throttling (pauses of up to 30 s between
    /// tries): 1,000 instances booting at once need 25 s of SSM's default quota for one read each, and
    /// 12,000 five minutes.
    static let settingsPatience: Duration = .seconds(300)

    /// The settings read's own bound in a boot join (within `--retry-for`); nil: the attempt's.
    func settingsDeadline() -> Deadline? {
        whole.map { Deadline(seconds: min($0.remaining.seconds, Self.settingsPatience.seconds)) }
    }

    /// The most a boot join's attempt may have (BootRetry's).
    var longestAttempt: Duration = .seconds(120)

    /// In a boot join, `context` with the attempt's budget counted again from now (within `--retry-for`), for the
    /// work after the settings read, and longer by three times what the read waited for SSM's quota (at most
    /// `longestAttempt`): a read that waited W seconds was about the (40 x W)th of a fleet booting at once, and the
    /// DC, which takes several times longer than SSM for each instance (a join against a read), has about as many
    /// joins ahead of it. An attempt that timed out in that queue would have cost the DC its work for nothing.
    func attemptFromNow(_ context: RunContext, settingsWaited waited: Duration) -> RunContext {
        guard let whole else { return context }
        let now = ContinuousClock.now
        let given = context.deadline.end - context.deadline.start
        let length = waited > .seconds(1) ? max(given, min(longestAttempt, given + waited * 3)) : given
        if length > given {
            context.progress(
                "reading the settings took \(waited.milliseconds / 1000) s (a fleet booting at once shares SSM's quota): "
                    + "this attempt has \(length.milliseconds / 1000) s for the DC, whose queue such a fleet makes longer")
        }
        return context.with(deadline: Deadline(start: now, end: min(now + length, whole.end)))
    }

    /// The command line's settings (standard input's password with them once the join needs it): read once.
    var flags: AgentSettings?
    /// The join password for the attempts after the first: the login wipes the copy it is given (libkrb5
    /// gets it only while it reads a KDC answer), so each attempt gets its own copy of this one, and this
    /// one is wiped when the join is over (`forgetPassword`). It stays in SecretBytes (its own pages,
    /// locked in RAM, left out of core dumps) between attempts, at most for `--retry-for`: who can read
    /// it there is root on the instance, who can read the parameter with the instance's role anyway.
    private var keptPassword: SecretBytes?

    /// Gives `settings` a password of its own for this attempt, keeping a copy on the first.
    func passwordForThisAttempt(_ settings: inout AgentSettings) {
        guard case .secret(let password)? = settings.password else { return }
        if let keptPassword {
            settings.password = .secret(keptPassword.copy())
        } else {
            keptPassword = password.copy()
        }
    }

    func forgetPassword() {
        keptPassword?.wipe()
        keptPassword = nil
    }

    init(domainName: String?, environment: AWSEnvironment) {
        self.domainName = domainName
        metadata = MetadataInstanceID(environment: environment)
    }

    var elapsed: Duration { ContinuousClock.now - started }

    func instanceMetadata() throws(AdjoinError) -> InstanceMetadata { try metadata.client() }

    func instanceID(deadline: Deadline) throws(AdjoinError) -> String {
        if let context { return context.identity.instanceId }
        return try metadata.instanceID(deadline: deadline)
    }
}
