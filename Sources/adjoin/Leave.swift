import AdjoinCore
import Agent
import ArgumentParser

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
            /var/lib/adjoin/backup), and the folders it made when nothing else is in them; a file changed \
            since adjoin wrote it is kept beside it as NAME.adjoin-left. The directory goes first: if it \
            cannot be reached, nothing local changes and a rerun can finish; --keep-account cleans the host \
            without asking the directory, and the account stays for a remote leave (or adjoin sweep). \
            Leaving a host that has already left succeeds (DETACHED). Before the account is deleted, the A record the join registered in DNS is removed, signed as the machine: only that record (the recorded name with the recorded address); another host's records stay. A refusal is noted.

            Remote (--computer-name NAME or --instance-id ID, with --domain and a join user): removes the \
            computer object of an instance that died without leaving. By instance id, only objects whose \
            recorded owner (`info: adjoin-owner: ID`) is exactly that id are removed; with both, the named \
            account is removed only if that id owns it (ACCOUNT_CONFLICT otherwise). By name alone, an \
            account without an owner marker (pre-staged, joined by another tool, a Windows computer) is \
            ACCOUNT_CONFLICT unless --allow-unmarked is given, so that a typo cannot remove a server's \
            account; a domain controller's account is never removed. --dry-run prints what would be \
            removed and removes nothing. Finding nothing is DETACHED too.

            On EC2: --parameter (or a remote leave without --domain) takes the domain, join user and \
            password from the settings parameter, as join does; with a status table (statusTable, \
            --status-table) the instance's item says DETACHED. A remote leave takes its AWS credentials \
            as `adjoin sweep` does (the environment, the AWS_PROFILE profile with keys, role_arn, SSO or \
            credential_process, the container endpoint, then the instance role), so it also runs from a \
            workstation, CI or a container. --only-if-terminating (the leave unit at \
            shutdown) leaves only when instance metadata says the instance is terminating: Auto Scaling's \
            lifecycle state Terminated, or a spot interruption notice to terminate; a reboot or a stop \
            gives SKIPPED and changes nothing.

            On a copy of a joined host (an image made from it: its join record names another instance or \
            machine id than this host's), the other host's account is never deleted or changed, with or \
            without --user: only this host is cleaned, and the output's copyOf names the other host.

            \(StatusDocumentation.exitLine(for: .leave))
            """
    )

    @Option(help: ArgumentHelp("Remote leave: the computer account to remove (at most 15 characters).", valueName: "name"))
    var computerName: String?

    @Option(
        name: .customLong("instance-id"),
        help: ArgumentHelp("Remote leave: remove the computer account(s) this instance owns.", valueName: "id"))
    var instanceID: String?

    @Option(help: ArgumentHelp("Remote leave: the DNS name of the domain.", valueName: "domain"))
    var domain: String?

    @Option(
        help: ArgumentHelp("A join user to act as (default on the joined host: the machine itself, with its keytab).", valueName: "name"))
    var user: String?

    @Flag(help: "Read the join user's password from standard input (the only way to give it).")
    var passwordStdin = false

    @Option(help: ArgumentHelp("The joined system is under this directory instead of / (as for join).", valueName: "dir"))
    var root = "/"

    @Option(
        help: ArgumentHelp(
            "The SecureString SSM parameter with the settings (read with --parameter, or for a remote leave without --domain; default adjoin).",
            valueName: "name"))
    var parameter: String?

    @Option(help: ArgumentHelp("The DynamoDB table to record DETACHED in (overrides statusTable).", valueName: "table"))
    var statusTable: String?

    @Flag(help: "Leave only if instance metadata says this instance is terminating (for the shutdown unit); otherwise SKIPPED.")
    var onlyIfTerminating = false

    @Flag(
        help:
            "Clean this host only and leave its computer account in the directory (the DC cannot be reached, or the account is for someone else to remove): a remote leave removes it later (adjoin sweep too, for an EC2 instance once terminated)."
    )
    var keepAccount = false

    @Flag(
        help:
            "Remote leave by --computer-name: remove the account even if it carries no adjoin owner marker (pre-staged, or joined by another tool). Never a domain controller's."
    )
    var allowUnmarked = false

    @Flag(help: "Remote leave: find and check the accounts and print what would be removed; remove nothing.")
    var dryRun = false

    @OptionGroup var options: DirectoryOptions

    var isRemote: Bool { computerName != nil || instanceID != nil }

    /// The settings parameter is read when named, and for a remote leave that has no --domain.
    private var readsParameter: Bool { parameter != nil || (isRemote && domain == nil) }

    func validate() throws {
        try validateAWSNames(parameter: parameter, statusTable: statusTable)
        if isRemote {
            guard readsParameter || user != nil else {
                throw ValidationError(
                    "a remote leave (--computer-name, --instance-id) needs --domain and --user with --password-stdin, or the settings parameter"
                )
            }
            guard !onlyIfTerminating else {
                throw ValidationError("--only-if-terminating is for the leaving instance itself, not a remote leave")
            }
            guard root == "/" else { throw ValidationError("--root is for a leave on the joined host, not a remote one") }
            guard !keepAccount else {
                throw ValidationError("--keep-account is for a leave on the joined host: a remote leave removes accounts")
            }
        } else if domain != nil && parameter == nil {
            throw ValidationError("--domain is for a remote leave; on the joined host the domain comes from its join record")
        }
        if allowUnmarked && computerName == nil {
            throw ValidationError("--allow-unmarked goes with --computer-name (by --instance-id only marked accounts are found)")
        }
        if dryRun && !isRemote {
            throw ValidationError("--dry-run is for a remote leave (--computer-name, --instance-id)")
        }
        if dryRun && options.output == .json {
            throw ValidationError("--dry-run prints what would be removed: it has no --output json")
        }
        if user != nil && !passwordStdin {
            throw ValidationError("give the join user's password on standard input with --password-stdin (never as an argument)")
        }
        if passwordStdin && user == nil {
            throw ValidationError("--password-stdin goes with --user")
        }
        if keepAccount && user != nil {
            throw ValidationError("--keep-account asks the directory nothing: it needs no --user")
        }
    }

    func run() throws {
        let target: LeaveUseCase.Target =
            isRemote
            ? .remote(computerName: computerName, instanceID: instanceID)
            : .thisHost(onlyIfTerminating: onlyIfTerminating)
        var leave = LeaveUseCase.Options(target: target, directory: options.flags)
        leave.domain = domain
        leave.user = user
        leave.passwordFromStandardInput = passwordStdin
        leave.parameter = parameter
        leave.statusTable = statusTable
        leave.keepAccount = keepAccount
        leave.allowUnmarked = allowUnmarked
        leave.dryRun = dryRun
        try options.run(root: root, LeaveUseCase(leave))
    }
}
