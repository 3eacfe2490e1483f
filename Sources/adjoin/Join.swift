import AdjoinCore
import Agent
import AWS
import ArgumentParser
import Join
#if canImport(Glibc)
import Glibc
#endif

struct JoinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Join this host to an Active Directory domain and configure it so that domain users can log in.",
        discussion: """
            Everything goes to one DC (from --domain-controller, or found through DNS): a Kerberos login as \
            --user into memory, one LDAP connection bound with Kerberos and sealed, the computer account \
            created (or a pre-staged one reused) with a random 120-character password set in the same \
            request, keys derived locally with AD's salt and written to the keytab (mode 0600, other \
            principals' entries kept), and a Kerberos login with that keytab to prove it. No program is run \
            for the join itself.

            Then the host (unless --no-configure): /etc/krb5.conf (merged: other realms and settings stay), \
            /etc/sssd/sssd.conf (0600; the domain's section is adjoin's), `sss` in /etc/nsswitch.conf, pam_sss \
            and home directory creation (oddjobd where oddjob-mkhomedir is installed, else pam_mkhomedir) \
            through pam-auth-update (Debian, Ubuntu) or authselect (RHEL, Amazon Linux), whichever the system \
            has, or by editing the PAM files where neither exists; sssd is restarted where systemd runs. Only members \
            of --allow-group may log in; with none, no domain user may. Files are written atomically, only \
            when they change, and their pre-adjoin versions are kept under /var/lib/adjoin/backup for leave. \
            Everything is planned before the directory is touched: a host that cannot be configured stops \
            the join before it creates anything.

            The password is read from standard input only, never from an argument or the environment.

            On EC2, with no --domain: the instance's identity comes from instance metadata (IMDSv2), its \
            tags from metadata or EC2 DescribeTags, and the settings, password included, from the SecureString \
            SSM parameter `adjoin` (--parameter, a name or an ARN), read with the instance role's credentials, \
            or from this account's item of a central DynamoDB table that /etc/default/adjoin \
            (ADJOIN_SETTINGS_TABLE, _REGION, _ROLE_ARN) or the parameter points to, read through the central \
            account's role; the password may be a Secrets Manager secret (joinPasswordSecret). Flags override \
            settings. The tag autoadjoin=false skips the join (SKIPPED, exit 0, nothing changed); the tag \
            adGroupName names the group allowed to log in. The owner recorded on the account is the instance \
            id. With a status table (statusTable, --status-table), the instance's item says JOINING, then the \
            outcome; a status write that fails is reported but does not fail a good join.

            A copy of a joined host (an image made from it, booted as another instance or with a new \
            /etc/machine-id) first discards what it inherited: the other host's keytab entries, join record \
            and sssd caches; then it joins as itself. The other host's account is never touched.

            Computer name: the first label of --host-fqdn in upper case; a label longer than 15 characters \
            becomes its first 10 characters, '-', and 4 characters derived from the whole FQDN, so that two \
            long names never silently collide. The owner is recorded in the account's `info` attribute \
            ("adjoin-owner: ..."); an account owned by another host is never taken over (ACCOUNT_CONFLICT).
            """
    )

    @Option(help: "The DNS name of the domain, e.g. corp.example.com (default: from the settings parameter, on EC2).")
    var domain: String?

    @Option(help: ArgumentHelp("A user allowed to join computers (adjoiner, CORP\\adjoiner or adjoiner@corp.example.com).", valueName: "name"))
    var user: String?

    @Option(help: ArgumentHelp("The SSM parameter (name or ARN) that holds the settings, or points to a central settings table (default adjoin, after /etc/default/adjoin; read when --domain is not given).", valueName: "name"))
    var parameter: String?

    @Option(help: ArgumentHelp("The DynamoDB table for this instance's status (overrides statusTable; needs instance metadata).", valueName: "table"))
    var statusTable: String?

    @Flag(help: "Read the join user's password from standard input (the only way to give it).")
    var passwordStdin = false

    @Option(help: ArgumentHelp("The OU for a new computer account (default: the domain's computers container).", valueName: "dn"))
    var ou: String?

    @Option(help: ArgumentHelp("This host's fully qualified name (default: its host name, in the domain).", valueName: "fqdn"))
    var hostFqdn: String?

    @Option(help: ArgumentHelp("The computer account's name, at most 15 characters (default: from --host-fqdn).", valueName: "name"))
    var computerName: String?

    @Option(help: ArgumentHelp("Where to write the keys, under --root (a relative path is taken from --root; one that leads out of it is refused).", valueName: "path"))
    var keytab = "/etc/krb5.keytab"

    @Option(help: ArgumentHelp("Write files under this directory instead of / (for image builds and tests).", valueName: "dir"))
    var root = "/"

    @Option(help: ArgumentHelp("The owner to record on the account (default: a hash of /etc/machine-id; the instance id on EC2).", valueName: "id"))
    var owner: String?

    @Flag(help: "Also write RC4 keys and allow RC4 on the account (only for old clients that need it).")
    var rc4 = false

    @Flag(help: "Do not configure the host (krb5.conf, sssd, NSS, PAM); only the account and the keytab.")
    var noConfigure = false

    @Option(help: ArgumentHelp("An AD group whose members may log in (repeatable). Letters, digits, spaces and _ . : / = + - @.", valueName: "group"))
    var allowGroup: [String] = []

    @Option(help: ArgumentHelp("An AD group whose members may use sudo (a drop-in in /etc/sudoers.d, checked with visudo).", valueName: "group"))
    var sudoGroup: String?

    @Flag(help: "Resolve the domain's names through its DCs (a systemd-resolved drop-in; advice where resolved does not run).")
    var configureDNS = false

    @Flag(help: "Print what the join would do and each file change as a diff; change nothing (no password needed).")
    var dryRun = false

    @Flag(help: "Do nothing (JOINED, exit 0, no password read) when this host is already joined and healthy, as `adjoin status` checks it (for the boot unit).")
    var unlessJoined = false

    @Option(help: ArgumentHelp("Keep trying for this long (30m, 90s, 2h, or seconds) while attempts fail for a reason that can pass: NETWORK_ERROR, TIMEOUT, DOMAIN_NOT_FOUND, BUSY, UNKNOWN_ERROR. Each attempt has --timeout; pauses grow with full jitter (for the boot unit).", valueName: "duration"))
    var retryFor: String?

    @OptionGroup var options: DirectoryOptions

    func validate() throws {
        if domain != nil && parameter == nil && user == nil && !dryRun {
            throw ValidationError("--domain needs --user (or --parameter, whose settings name the join user)")
        }
        try validateAWSNames(parameter: parameter, statusTable: statusTable)
        if noConfigure && (!allowGroup.isEmpty || sudoGroup != nil || configureDNS) {
            throw ValidationError("--allow-group, --sudo-group and --configure-dns configure the host: they cannot go with --no-configure")
        }
        if unlessJoined && dryRun {
            throw ValidationError("--unless-joined and --dry-run cannot go together")
        }
        if let retryFor {
            guard BootRetry.parseDuration(retryFor) != nil else {
                throw ValidationError("--retry-for takes a duration such as 30m, 90s or 2h (at most 24 hours), or a number of seconds")
            }
            guard !dryRun else { throw ValidationError("--retry-for and --dry-run cannot go together") }
            guard !passwordStdin else {
                throw ValidationError("--retry-for reads the password from the settings at each attempt; a password on standard input serves one attempt only")
            }
        }
        if dryRun && options.output == .json {
            throw ValidationError("--dry-run prints diffs: it has no --output json")
        }
    }

    /// Settings come from AWS when no domain is given, or a parameter is named explicitly.
    private var readsParameter: Bool { domain == nil || parameter != nil }

    func run() throws {
        let reporter = Reporter(format: options.output, quiet: options.quiet)
        let state = JoinAttempts(domainName: domain)
        var deadline = Deadline(seconds: options.timeout)
        do throws(AdjoinError) {
            guard let retryFor, let budget = BootRetry.parseDuration(retryFor) else {
                return try attempt(nil, deadline: deadline, state: state, reporter: reporter)
            }
            try BootRetry(budget: budget).run(perAttempt: options.timeout, retrying: { retry in
                reporter.progress("attempt \(retry.attempt) failed: \(retry.failure.status): \(retry.failure.message); "
                                  + "trying again in \(retry.pause.milliseconds) ms")
                state.lastFailure = retry.failure
            }) { (number, attemptDeadline) throws(AdjoinError) in
                deadline = attemptDeadline
                try attempt(number, deadline: attemptDeadline, state: state, reporter: reporter)
            }
        } catch {
            state.status?.record(error.status, message: error.message, elapsed: state.elapsed, deadline: deadline, progress: reporter.progress) {
                $0.domain = state.domainName
            }
            throw ExitCode(reporter.failure(error, domain: state.domainName, elapsed: state.elapsed))
        }
    }

    /// One attempt of the join (`number`: which one, when the join keeps trying). What it learnt about the
    /// instance (identity, metadata token, credentials, settings) and its status reporter stay for the next.
    private func attempt(_ number: Int?, deadline: Deadline, state: JoinAttempts, reporter: Reporter) throws(AdjoinError) {
        // Each attempt takes the host's lock within its own budget: BUSY is one of the outcomes worth another attempt.
        let lock = dryRun ? nil : try lockHost(root: root, deadline: deadline, progress: reporter.progress)
        defer { lock?.release() }
        if unlessJoined, try alreadyJoined(reporter: reporter, instance: state, deadline: deadline) { return }
        // The login hands the password to libkrb5 and wipes ours: each later attempt reads the settings
        // afresh (one GetParameter), with the same metadata session token, and keeps its status reporter.
        if let number, number > 1 { state.context = nil }
        if state.context == nil, readsParameter || statusTable != nil {
            let pointer = readsParameter && parameter == nil ? try CentralSettingsPointer.read(HostFiles(root: root)) : nil
            let loaded = try InstanceContext.load(parameter: readsParameter ? parameter ?? "adjoin" : nil, settingsPointer: pointer, flags: try flagSettings(),
                                                  metadata: try state.instanceMetadata(), credentials: state.credentials,
                                                  deadline: deadline, progress: reporter.progress)
            state.context = loaded
            state.credentials = loaded.credentials
            state.domainName = loaded.settings.domain?.value ?? state.domainName
            if !dryRun, state.status == nil { state.status = try StatusReporter(context: loaded) }
            if loaded.optedOut {
                let message = "the instance's tag \(loaded.settings.autoJoinTag)=false opts it out: nothing was joined or changed"
                state.status?.record(.skipped, message: message, elapsed: state.elapsed, deadline: deadline, progress: reporter.progress) {
                    $0.domain = state.domainName
                }
                reporter.success(lines: [("instance-id", loaded.identity.instanceId), ("status", Status.skipped.rawValue), ("message", message)],
                                 json: .object([("status", .string(Status.skipped.rawValue)), ("instanceId", .string(loaded.identity.instanceId)),
                                                ("domain", .optional(state.domainName)), ("statusTable", .optional(state.status?.lastResult)),
                                                ("durationMs", .number(state.elapsed.milliseconds)), ("message", .string(message))]))
                return
            }
        }
        let context = state.context
        let status = state.status
        let request = try request(context: context)
        let hostJoin = HostJoin(DomainJoin(request, progress: reporter.progress), options: try hostOptions(context: context))
        let identity = CurrentIdentity(files: request.files, instance: state)
        if dryRun {
            Reporter.writeOut(try hostJoin.dryRun(deadline: deadline, identity: identity))
            return
        }
        if let number { status?.beginAttempt(number) }
        if number ?? 1 == 1 || status?.retryWriteDue == true {
            let retrying = number.flatMap { $0 > 1 ? $0 : nil }.map { "attempt \($0) (the last one: \(state.lastFailure.map { "\($0.status): \($0.message)" } ?? "-")): " } ?? ""
            status?.record(.joining, message: retrying + "joining \(request.domain) as \(request.computerName)", elapsed: state.elapsed,
                           deadline: deadline, progress: reporter.progress) {
                $0.domain = request.domain.value
                $0.computerName = request.computerName.value
            }
        }
        let outcome = try hostJoin.run(deadline: deadline, identity: identity)
        let result = outcome.join
        let configured = noConfigure ? "not asked (--no-configure)" : outcome.configured.isEmpty ? "already configured, nothing changed" : outcome.configured.joined(separator: ", ")
        let keys = result.keysKept ? "keys kept, keytab \(result.keytabPath) logs in at kvno \(result.kvno)" : "keytab \(result.keytabPath) proven at kvno \(result.kvno)"
        let message = "\(result.created ? "created" : "reused") \(result.computerDN); \(keys); host: \(configured)"
        status?.record(.joined, message: message, elapsed: state.elapsed, deadline: deadline, progress: reporter.progress) {
            $0.domain = result.domain
            $0.computerName = result.computerName
            $0.computerDN = result.computerDN
            $0.domainController = result.domainController
        }
        var lines = [
            ("domain", result.domain),
            ("computer-name", result.computerName),
            ("computer-dn", result.computerDN),
            ("domain-controller", result.domainController),
            ("kvno", String(result.kvno)),
            ("keytab", result.keytabPath),
            ("enctypes", result.encryptionTypes.map(\.name).joined(separator: " ")),
            ("host", configured),
            ("status", Status.joined.rawValue),
        ]
        lines += result.warnings.map { ("warning", $0) }
        if let context { lines.insert(("instance-id", context.identity.instanceId), at: 0) }
        if let number { lines.insert(("attempts", String(number)), at: lines.count - 1) }
        if let table = status?.table, let written = status?.lastResult { lines.append(("status-table", "\(table): \(written)")) }
        reporter.success(lines: lines, json: .object([
            ("status", .string(Status.joined.rawValue)),
            ("instanceId", .optional(context?.identity.instanceId)),
            ("domain", .string(result.domain)),
            ("computerName", .string(result.computerName)),
            ("computerDN", .string(result.computerDN)),
            ("domainController", .string(result.domainController)),
            ("kvno", .number(Int64(result.kvno))),
            ("configured", .array(outcome.configured.map { .string($0) })),
            ("warnings", .array(result.warnings.map { .string($0) })),
            ("statusTable", .optional(status?.lastResult)),
        ] + (number.map { [("attempts", JSON.number(Int64($0)))] } ?? []) + [
            ("durationMs", .number(state.elapsed.milliseconds)),
            ("message", .string(message)),
        ]))
    }

    private func hostOptions(context: InstanceContext?) throws(AdjoinError) -> HostJoin.Options? {
        guard !noConfigure else { return nil }
        var host = HostJoin.Options()
        let flagged = try allowedGroupFlags()
        host.allowedGroups = try context?.allowedGroups(flagged: flagged) ?? flagged
        host.sudoGroup = try sudoGroup.map { (name) throws(AdjoinError) in try GroupName(name) }
        host.configureDNS = configureDNS
        return host
    }

    private func allowedGroupFlags() throws(AdjoinError) -> [GroupName] {
        var groups: [GroupName] = []
        for name in allowGroup {
            let group = try GroupName(name)
            if !groups.contains(group) { groups.append(group) }
        }
        return groups
    }

    /// What the command line says, as settings to lay over the parameter's. The password is read here
    /// (standard input) only when --password-stdin asks for it.
    private func flagSettings() throws(AdjoinError) -> AgentSettings {
        var flags = AgentSettings()
        flags.domain = try domain.map { (text) throws(AdjoinError) in try DomainName(text) }
        flags.domainControllers = try options.parsedDomainControllers()
        flags.joinUser = user
        flags.organizationalUnit = ou
        flags.allowedGroups = try allowedGroupFlags()
        flags.statusTable = statusTable
        if passwordStdin && !dryRun { flags.password = .secret(try SecretBytes.read(from: STDIN_FILENO)) }
        return flags
    }

    private func request(context: InstanceContext?) throws(AdjoinError) -> JoinRequest {
        let files = HostFiles(root: root)
        let explicitName = try computerName.map { (name) throws(AdjoinError) in try ComputerName(explicit: name) }
        if let context, readsParameter {
            var request = try context.joinRequest(hostFQDN: hostFqdn.map(InputNames.hostName), computerName: explicitName, files: files, dryRun: dryRun)
            if let owner { request.owner = AccountOwner(owner) }
            request.settingsParameter = parameter ?? "adjoin"
            return try customized(request)
        }
        guard passwordStdin || dryRun else {
            throw .invalidInput("give the join user's password on standard input with --password-stdin (never as an argument)")
        }
        guard let domain, let user else { throw .invalidInput("give --domain and --user, or run on EC2 with the settings parameter") }
        let domainName = try DomainName(domain)
        let fqdn = InputNames.hostName(hostFqdn ?? JoinCommand.systemHostName(in: domainName))
        let name = if let explicitName { explicitName } else { try ComputerName(hostFQDN: fqdn) }
        // Who this host is, recorded so that a copy of it can tell: --owner names the account's owner only.
        let identity: AccountOwner = if let context {
                .instance(context.identity.instanceId, accountId: context.identity.accountId, region: context.identity.region)
            } else if let owner { (try? AccountOwner.machine(files: files)) ?? AccountOwner(owner) }
            else { try AccountOwner.machine(files: files) }
        let password: SecretBytes = if case .secret(let given)? = context?.settings.password { given }
            else if dryRun { SecretBytes([]) } else { try SecretBytes.read(from: STDIN_FILENO) }
        var request = JoinRequest(domain: domainName, user: user, password: password,
                                  hostFQDN: fqdn, computerName: name, owner: owner.map { AccountOwner($0) } ?? identity, osRelease: OSRelease.read(files: files))
        request.identity = identity
        request.domainControllers = try options.parsedDomainControllers()
        request.organizationalUnit = ou
        request.files = files
        return try customized(request)
    }

    /// What only the command line sets, whatever the settings source.
    private func customized(_ request: JoinRequest) throws(AdjoinError) -> JoinRequest {
        var request = request
        request.dnsServers = try options.parsedDNSServers()
        request.keytabPath = try HostPath.normalized(keytab, flag: "--keytab")
        if rc4 { request.encryptionTypes.append(.rc4) }
        return request
    }

    /// gethostname(2), completed with the domain when it is a short name.
    static func systemHostName(in domain: DomainName) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.contains(".") ? name : name + "." + domain.value
    }
}

/// What the attempts of one `adjoin join` share: the instance's context once it is read, the status
/// reporter, the domain for messages, the last failure (for the status item), and when the command began.
final class JoinAttempts: InstanceIDReader {
    var context: InstanceContext?
    /// One metadata client for every attempt: its session token serves them all; likewise the role's credentials.
    private let metadata = MetadataInstanceID()
    var credentials: AWSCredentialChain?
    var status: StatusReporter?
    var domainName: String?
    var lastFailure: AdjoinError?
    let started = ContinuousClock.now

    init(domainName: String?) {
        self.domainName = domainName
    }

    var elapsed: Duration { ContinuousClock.now - started }

    func instanceMetadata() throws(AdjoinError) -> InstanceMetadata { try metadata.client() }

    func instanceID(deadline: Deadline) throws(AdjoinError) -> String {
        if let context { return context.identity.instanceId }
        return try metadata.instanceID(deadline: deadline)
    }
}
