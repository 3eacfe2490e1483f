import AdjoinCore
import ArgumentParser
import Join

struct RotateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Change the machine password when it is older than --max-age, as the machine itself.",
        discussion: """
            Reads the account's pwdLastSet and msDS-KeyVersionNumber over LDAP bound as the machine (a \
            Kerberos login with the keytab). When the password is at least --max-age days old, the machine \
            changes it itself with the Kerberos change-password protocol (RFC 3244, kpasswd on the DC, port \
            464, one TCP connection within --timeout): no join user, realm or adcli. The new keys go into the keytab beside the previous kvno's \
            (tickets issued before the change stay valid until they expire; older kvnos are dropped), and a \
            Kerberos login with the keytab proves them. sssd is configured not to renew the password itself \
            (ad_maximum_machine_account_password_age = 0): this is the job of `adjoin rotate` and its timer.

            On a copy of a joined host (its join record names another instance or machine id) nothing is \
            changed: the password is the other host's (CLONED, exit 25).

            Exit status: 0 ROTATED or NOT_DUE; 25 CLONED; 20 NOT_JOINED; 21 KEYTAB_INVALID; 22 ACCOUNT_MISSING; \
            11 INSUFFICIENT_PERMISSIONS (the DC refused the change, e.g. its password policy); 12 \
            NETWORK_ERROR; 13 TIMEOUT; 15 INVALID_INPUT.
            """
    )

    @Option(help: ArgumentHelp("Change the password when it is at least this many days old (0: now).", valueName: "days"))
    var maxAge = 30

    @Option(help: ArgumentHelp("The joined system is under this directory instead of / (as for join).", valueName: "dir"))
    var root = "/"

    @OptionGroup var options: DirectoryOptions

    func validate() throws {
        guard maxAge >= 0, maxAge <= 3650 else { throw ValidationError("--max-age must be 0 to 3650 days") }
    }

    func run() throws {
        let deadline = Deadline(seconds: options.timeout)
        let reporter = Reporter(format: options.output, quiet: options.quiet)
        do throws(AdjoinError) {
            let lock = try lockHost(root: root, deadline: deadline, progress: reporter.progress)
            defer { lock.release() }
            let place = try options.place(root: root)
            let result = try PasswordRotation(place: place, maximumAgeDays: maxAge, progress: reporter.progress)
                .run(deadline: deadline, identity: place.currentIdentity())
            reporter.success(lines: [
                ("domain", result.domain),
                ("computer-name", result.computerName),
                ("computer-dn", result.computerDN),
                ("domain-controller", result.domainController),
                ("password-age-days", result.passwordAgeDays.map(String.init) ?? "unknown"),
                ("previous-kvno", String(result.previousKeyVersion)),
                ("kvno", String(result.keyVersion)),
                ("keytab-kvnos", result.keytabKeyVersions.map(String.init).joined(separator: " ")),
                ("status", result.status.rawValue),
            ], json: .object([
                ("status", .string(result.status.rawValue)),
                ("domain", .string(result.domain)),
                ("computerName", .string(result.computerName)),
                ("computerDN", .string(result.computerDN)),
                ("domainController", .string(result.domainController)),
                ("passwordAgeDays", result.passwordAgeDays.map { .number($0) } ?? .null),
                ("previousKvno", .number(Int64(result.previousKeyVersion))),
                ("kvno", .number(Int64(result.keyVersion))),
                ("keytabKvnos", .array(result.keytabKeyVersions.map { .number(Int64($0)) })),
                ("durationMs", .number(deadline.elapsed.milliseconds)),
                ("message", .string(result.message)),
            ]))
        } catch {
            throw ExitCode(reporter.failure(error, domain: nil, elapsed: deadline.elapsed))
        }
    }
}
