import AdjoinCore
import Agent
import AWS
import ArgumentParser
import Join
#if canImport(Glibc)
import Glibc
#endif

struct LeaveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leave",
        abstract: "Take this host out of the domain, or remove a terminated instance's computer account from elsewhere.",
        discussion: """
            On the joined host (no --computer-name or --instance-id): deletes the computer object together \
            with its child objects (tree delete), logged in as the machine itself with its keytab (the join \
            gave the account that right on its own object), or as --user; removes this host's entries from \
            the keytab (other principals' stay); stops sssd and empties its caches; and puts back every file \
            the join wrote as it was before, byte for byte, removing those the join created (kept under \
            /var/lib/adjoin/backup), and the folders it made when nothing else is in them. The directory goes first: if it cannot be reached, nothing local \
            changes and a rerun can finish. Leaving a host that has already left succeeds (DETACHED).

            Remote (--computer-name NAME or --instance-id ID, with --domain and a join user): removes the \
            computer object of an instance that died without leaving. By instance id, only objects whose \
            recorded owner (`info: adjoin-owner: ID`) is exactly that id are removed; with both, the named \
            account is removed only if that id owns it (ACCOUNT_CONFLICT otherwise). Finding nothing is \
            DETACHED too.

            On EC2: --parameter (or a remote leave without --domain) takes the domain, join user and \
            password from the settings parameter, as join does; with a status table (statusTable, \
            --status-table) the instance's item says DETACHED. --only-if-terminating (the leave unit at \
            shutdown) leaves only when instance metadata says the instance is terminating: Auto Scaling's \
            lifecycle state Terminated, or a spot interruption notice to terminate; a reboot or a stop \
            gives SKIPPED and changes nothing.

            On a copy of a joined host (an image made from it: its join record names another instance or \
            machine id than this host's), the other host's account is never deleted or changed, with or \
            without --user: only this host is cleaned, and the output's copyOf names the other host.

            Exit status: 0 DETACHED or SKIPPED; 10 ACCESS_DENIED; 11 INSUFFICIENT_PERMISSIONS; 12 NETWORK_ERROR; \
            13 TIMEOUT; 15 INVALID_INPUT; 16 ACCOUNT_CONFLICT; 21 KEYTAB_INVALID (the DC rejects the \
            machine's keys: leave with --user); 17 CONFIGURATION_FAILED (sssd could not be stopped).
            """
    )

    @Option(help: ArgumentHelp("Remote leave: the computer account to remove (at most 15 characters).", valueName: "name"))
    var computerName: String?

    @Option(name: .customLong("instance-id"),
            help: ArgumentHelp("Remote leave: remove the computer account(s) this instance owns.", valueName: "id"))
    var instanceID: String?

    @Option(help: ArgumentHelp("Remote leave: the DNS name of the domain.", valueName: "domain"))
    var domain: String?

    @Option(help: ArgumentHelp("A join user to act as (default on the joined host: the machine itself, with its keytab).", valueName: "name"))
    var user: String?

    @Flag(help: "Read the join user's password from standard input (the only way to give it).")
    var passwordStdin = false

    @Option(help: ArgumentHelp("The joined system is under this directory instead of / (as for join).", valueName: "dir"))
    var root = "/"

    @Option(help: ArgumentHelp("The SecureString SSM parameter with the settings (read with --parameter, or for a remote leave without --domain; default adjoin).", valueName: "name"))
    var parameter: String?

    @Option(help: ArgumentHelp("The DynamoDB table to record DETACHED in (overrides statusTable).", valueName: "table"))
    var statusTable: String?

    @Flag(help: "Leave only if instance metadata says this instance is terminating (for the shutdown unit); otherwise SKIPPED.")
    var onlyIfTerminating = false

    @OptionGroup var options: DirectoryOptions

    var isRemote: Bool { computerName != nil || instanceID != nil }

    /// The settings parameter is read when named, and for a remote leave that has no --domain.
    private var readsParameter: Bool { parameter != nil || (isRemote && domain == nil) }

    func validate() throws {
        try validateAWSNames(parameter: parameter, statusTable: statusTable)
        if isRemote {
            guard readsParameter || user != nil else {
                throw ValidationError("a remote leave (--computer-name, --instance-id) needs --domain and --user with --password-stdin, or the settings parameter")
            }
            guard !onlyIfTerminating else { throw ValidationError("--only-if-terminating is for the leaving instance itself, not a remote leave") }
            guard root == "/" else { throw ValidationError("--root is for a leave on the joined host, not a remote one") }
        } else if domain != nil && parameter == nil {
            throw ValidationError("--domain is for a remote leave; on the joined host the domain comes from its join record")
        }
        if user != nil && !passwordStdin {
            throw ValidationError("give the join user's password on standard input with --password-stdin (never as an argument)")
        }
        if passwordStdin && user == nil {
            throw ValidationError("--password-stdin goes with --user")
        }
    }

    func run() throws {
        let deadline = Deadline(seconds: options.timeout)
        let reporter = Reporter(format: options.output, quiet: options.quiet)
        var status: StatusReporter? = nil
        do throws(AdjoinError) {
            let lock = isRemote ? nil : try lockHost(root: root, deadline: deadline, progress: reporter.progress)
            defer { lock?.release() }
            // One metadata client (one session token) for the check and the settings that follow.
            let metadata = onlyIfTerminating ? try InstanceMetadata(environment: .current()) : nil
            if let metadata, let reason = try TerminationCheck.reasonNotTerminating(metadata: metadata, deadline: deadline) {
                let message = "not leaving: \(reason)"
                reporter.success(lines: [("status", Status.skipped.rawValue), ("message", message)],
                                 json: .object([("status", .string(Status.skipped.rawValue)), ("durationMs", .number(deadline.elapsed.milliseconds)),
                                                ("message", .string(message))]))
                return
            }
            let given = passwordStdin ? try password() : nil
            let context = try instanceContext(password: given, metadata: metadata, deadline: deadline, reporter: reporter)
            var place = try options.place(root: root)
            if isRemote, place.domainControllers.isEmpty, let named = context?.settings.domainControllers { place.domainControllers = named }
            let result: LeaveResult
            if isRemote {
                let settings = context?.settings
                let flagged = try domain.map { (text) throws(AdjoinError) in try DomainName(text) }
                guard let remoteDomain = settings?.domain ?? flagged else {
                    throw .invalidInput("a remote leave needs the domain: --domain, or domain in the settings parameter")
                }
                let secret: SecretBytes
                if case .secret(let fromSettings)? = settings?.password { secret = fromSettings } else { secret = try required(given) }
                let leave = RemoteLeave(domain: remoteDomain, place: place, user: try checkedUser(settings?.joinUser ?? user), password: secret,
                                        computerName: try computerName.map { (name) throws(AdjoinError) in try ComputerName(explicit: name) },
                                        instanceID: instanceID, progress: reporter.progress)
                result = try leave.run(deadline: deadline)
            } else {
                let joinUser = try user.map { (name) throws(AdjoinError) in (name: try checkedUser(name), password: try required(given)) }
                let identity = context.map { CurrentIdentity(files: place.files, instance: $0) } ?? place.currentIdentity(metadata: metadata)
                result = try HostLeave(place: place, joinUser: joinUser, progress: reporter.progress).run(deadline: deadline, identity: identity)
            }
            // A remote leave reports for the instance it removed; by name, that is the recorded owner.
            let reported = isRemote ? instanceID ?? result.owner.flatMap { $0.hasPrefix("i-") ? $0 : nil } : nil
            if context != nil, !isRemote || reported != nil {
                status = try StatusReporter(context: context, instanceId: reported)
                status?.record(.detached, message: result.message, elapsed: deadline.elapsed, deadline: deadline, progress: reporter.progress) {
                    $0.domain = result.domain
                    $0.computerName = result.computerName
                    $0.computerDN = result.computerDN
                    $0.domainController = result.domainController
                }
            }
            reporter.success(lines: [
                ("domain", result.domain ?? "-"),
                ("computer-name", result.computerName ?? "-"),
                ("computer-dn", result.computerDN ?? "-"),
                ("owner", result.owner ?? "-"),
                ("copy-of", result.copyOf ?? "-"),
                ("domain-controller", result.domainController ?? "-"),
                ("removed", result.removed.isEmpty ? (result.accountWasGone ? "nothing (already gone)" : "nothing") : result.removed.joined(separator: ", ")),
                ("restored", result.restored.isEmpty ? "-" : result.restored.joined(separator: ", ")),
                ("status", result.status.rawValue),
            ], json: .object([
                ("status", .string(result.status.rawValue)),
                ("domain", .optional(result.domain)),
                ("computerName", .optional(result.computerName)),
                ("computerDN", .optional(result.computerDN)),
                ("owner", .optional(result.owner)),
                ("domainController", .optional(result.domainController)),
                ("removed", .array(result.removed.map { .string($0) })),
                ("accountWasGone", .bool(result.accountWasGone)),
                ("copyOf", .optional(result.copyOf)),
                ("restored", .array(result.restored.map { .string($0) })),
                ("statusTable", .optional(status?.lastResult)),
                ("durationMs", .number(deadline.elapsed.milliseconds)),
                ("message", .string(result.message)),
            ]))
        } catch {
            throw ExitCode(reporter.failure(error, domain: domain, elapsed: deadline.elapsed))
        }
    }

    /// Identity, credentials and settings from AWS when the leave needs them: settings for a remote
    /// leave or with --parameter, or a status table to report to. A leave on the host itself uses the
    /// machine's own keys, so failing to reach AWS only costs the status item there.
    private func instanceContext(password: SecretBytes?, metadata: InstanceMetadata?, deadline: Deadline,
                                 reporter: Reporter) throws(AdjoinError) -> InstanceContext? {
        // A host joined from the settings parameter reports its leave where its join reported.
        let recorded = isRemote ? nil : try? JoinRecord.read(HostFiles(root: root))?.settingsParameter
        guard readsParameter || statusTable != nil || recorded != nil else { return nil }
        let parameter = self.parameter ?? recorded ?? nil
        var flags = AgentSettings()
        flags.domain = try domain.map { (text) throws(AdjoinError) in try DomainName(text) }
        flags.joinUser = user
        flags.statusTable = statusTable
        flags.password = password.map { .secret($0) }
        do throws(AdjoinError) {
            let pointer = self.parameter == nil ? try CentralSettingsPointer.read(HostFiles(root: root)) : nil
            return try InstanceContext.load(parameter: readsParameter || parameter != nil ? parameter ?? "adjoin" : nil, settingsPointer: pointer,
                                            flags: flags, readTags: false,
                                            metadata: metadata, deadline: deadline, progress: reporter.progress)
        } catch where !isRemote {
            reporter.progress("warning: \(error.message); leaving without a status item")
            return nil
        }
    }

    private func checkedUser(_ given: String?) throws(AdjoinError) -> String {
        let name = given ?? ""
        try JoinRequest.checkUser(name, domain: domain ?? "corp.example.com")
        return name
    }

    private func required(_ given: SecretBytes?) throws(AdjoinError) -> SecretBytes {
        guard let given else { throw .invalidInput("no join password: the settings hold none; give --user with --password-stdin") }
        return given
    }

    private func password() throws(AdjoinError) -> SecretBytes {
        try SecretBytes.read(from: STDIN_FILENO)
    }
}
