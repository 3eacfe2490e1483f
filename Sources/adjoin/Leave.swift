import AdjoinCore
import ArgumentParser
import Discovery
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
            /var/lib/adjoin/backup). The directory goes first: if it cannot be reached, nothing local \
            changes and a rerun can finish. Leaving a host that has already left succeeds (DETACHED).

            Remote (--computer-name NAME or --instance-id ID, with --domain and a join user): removes the \
            computer object of an instance that died without leaving. By instance id, only objects whose \
            recorded owner (`info: adjoin-owner: ID`) is exactly that id are removed; with both, the named \
            account is removed only if that id owns it (ACCOUNT_CONFLICT otherwise). Finding nothing is \
            DETACHED too.

            Exit status: 0 DETACHED; 10 ACCESS_DENIED; 11 INSUFFICIENT_PERMISSIONS; 12 NETWORK_ERROR; \
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

    @OptionGroup var options: DirectoryOptions

    var isRemote: Bool { computerName != nil || instanceID != nil }

    func validate() throws {
        if isRemote {
            guard domain != nil, user != nil else {
                throw ValidationError("a remote leave (--computer-name, --instance-id) needs --domain and --user with --password-stdin")
            }
            guard root == "/" else { throw ValidationError("--root is for a leave on the joined host, not a remote one") }
        } else if domain != nil {
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
        do throws(AdjoinError) {
            let place = try options.place(root: root)
            let result: LeaveResult
            if isRemote {
                let leave = RemoteLeave(domain: try DomainName(domain ?? ""), place: place, user: try checkedUser(), password: try password(),
                                        computerName: try computerName.map { (name) throws(AdjoinError) in try ComputerName(explicit: name) },
                                        instanceID: instanceID, progress: reporter.progress)
                result = try leave.run(deadline: deadline)
            } else {
                let joinUser = try user.map { (name) throws(AdjoinError) in (name: try checkedUser(), password: try password()) }
                result = try HostLeave(place: place, joinUser: joinUser, progress: reporter.progress).run(deadline: deadline)
            }
            reporter.success(lines: [
                ("domain", result.domain ?? "-"),
                ("computer-name", result.computerName ?? "-"),
                ("computer-dn", result.computerDN ?? "-"),
                ("owner", result.owner ?? "-"),
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
                ("restored", .array(result.restored.map { .string($0) })),
                ("durationMs", .number(deadline.elapsed.milliseconds)),
                ("message", .string(result.message)),
            ]))
        } catch {
            throw ExitCode(reporter.failure(error, domain: domain, elapsed: deadline.elapsed))
        }
    }

    private func checkedUser() throws(AdjoinError) -> String {
        let name = user ?? ""
        guard !name.isEmpty, name.count <= 256, name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }), !name.contains("/") else {
            throw .invalidInput("--user must be a user name such as adjoiner, CORP\\adjoiner or adjoiner@corp.example.com")
        }
        return name
    }

    private func password() throws(AdjoinError) -> SecretBytes {
        try SecretBytes.read(from: STDIN_FILENO)
    }
}
