import AdjoinCore
import Agent
import ArgumentParser

struct PresetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preset",
        abstract: "Create (or reset) a computer account with a one-time password, for a host that joins with no domain credential.",
        discussion: """
            For an administrator, as adcli's preset-computer. Logs in as --user (its password on standard \
            input) to one DC, then creates the computer account in --ou (default: the domain's computers \
            container) as a workstation with a random one-time password, its dNSHostName and SPNs for the \
            host's name (--host-fqdn, default NAME.domain), the owner marker when --owner is given, and the \
            right to delete its own account (so that the host's adjoin leave needs no join user). An account \
            of that name that exists already is reset to a new one-time password (the old one, and the keys \
            of a host joined with it, stop working) only when its owner marker names --owner; any other \
            existing account, one without a marker included (it may be a working host another tool joined), \
            is never touched (ACCOUNT_CONFLICT): remove it first if its host is gone. The minimal join rights (create computer objects in the OU; Reset \
            password, Account Restrictions and the validated writes of DNS host name and SPN on them) are \
            enough.

            The one-time password is written to --one-time-password-file, a new file (an existing file or \
            a link there is refused) of mode 0600, created before the directory is touched; never to \
            standard output, the log or an error message. Hand it to the host over a channel you trust, \
            and there run: adjoin join --one-time-password-stdin --domain DOMAIN --computer-name NAME < FILE. \
            The host logs in as the computer with it and changes it at once to a random password only the \
            host and the DC know; from then on the one-time password logs in no more. Delete the file after.

            \(StatusDocumentation.exitLine(for: .preset))
            """
    )

    @Option(help: "The DNS name of the domain, e.g. corp.example.com.")
    var domain: String

    @Option(
        help: ArgumentHelp(
            "A user allowed to create and reset computer accounts (adjoiner, CORP\\adjoiner or adjoiner@corp.example.com).",
            valueName: "name"))
    var user: String

    @Flag(help: "Read --user's password from standard input (the only way to give it).")
    var passwordStdin = false

    @Option(help: ArgumentHelp("The computer account's name, at most 15 characters (default: from --host-fqdn).", valueName: "name"))
    var computerName: String?

    @Option(help: ArgumentHelp("The host's fully qualified name, for dNSHostName and the SPNs (default: NAME.domain).", valueName: "fqdn"))
    var hostFqdn: String?

    @Option(help: ArgumentHelp("The OU for a new computer account (default: the domain's computers container).", valueName: "dn"))
    var ou: String?

    @Option(
        help: ArgumentHelp(
            "The owner to record on the account: the host's instance id on EC2, or what the host's join gives as --owner (default: none; the host records its own when it may).",
            valueName: "id"))
    var owner: String?

    @Option(help: ArgumentHelp("Write the one-time password here: a new file, mode 0600 (required; never printed).", valueName: "path"))
    var oneTimePasswordFile: String

    @Flag(help: "Also allow RC4 on the account (only for old clients that need it).")
    var rc4 = false

    @OptionGroup var options: DirectoryOptions

    func validate() throws {
        guard passwordStdin else {
            throw ValidationError("give --user's password on standard input with --password-stdin (never as an argument)")
        }
        guard computerName != nil || hostFqdn != nil else {
            throw ValidationError("give --computer-name or --host-fqdn: the account's name")
        }
        guard !oneTimePasswordFile.isEmpty else { throw ValidationError("--one-time-password-file needs a path") }
    }

    func run() throws {
        var preset = PresetUseCase.Options(domain: domain, user: user, oneTimePasswordFile: oneTimePasswordFile, directory: options.flags)
        preset.computerName = computerName
        preset.hostFQDN = hostFqdn
        preset.organizationalUnit = ou
        preset.owner = owner
        preset.rc4 = rc4
        try options.run(PresetUseCase(preset))
    }
}
