import AdjoinCore
import ArgumentParser
import Discovery
import HostConfig
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
            and pam_mkhomedir through pam-auth-update (Debian, Ubuntu) or authselect (RHEL, Amazon Linux), or \
            by editing the PAM files where neither exists; sssd is restarted where systemd runs. Only members \
            of --allow-group may log in; with none, no domain user may. Files are written atomically, only \
            when they change, and their pre-adjoin versions are kept under /var/lib/adjoin/backup for leave. \
            Everything is planned before the directory is touched: a host that cannot be configured stops \
            the join before it creates anything.

            The password is read from standard input only, never from an argument or the environment.

            Computer name: the first label of --host-fqdn in upper case; a label longer than 15 characters \
            becomes its first 10 characters, '-', and 4 characters derived from the whole FQDN, so that two \
            long names never silently collide. The owner is recorded in the account's `info` attribute \
            ("adjoin-owner: ..."); an account owned by another host is never taken over (ACCOUNT_CONFLICT).
            """
    )

    @Option(help: "The DNS name of the domain, e.g. corp.example.com.")
    var domain: String

    @Option(help: ArgumentHelp("A user allowed to join computers (adjoiner, CORP\\adjoiner or adjoiner@corp.example.com).", valueName: "name"))
    var user: String

    @Flag(help: "Read the join user's password from standard input (the only way to give it).")
    var passwordStdin = false

    @Option(help: ArgumentHelp("The OU for a new computer account (default: the domain's computers container).", valueName: "dn"))
    var ou: String?

    @Option(help: ArgumentHelp("This host's fully qualified name (default: its host name, in the domain).", valueName: "fqdn"))
    var hostFqdn: String?

    @Option(help: ArgumentHelp("The computer account's name, at most 15 characters (default: from --host-fqdn).", valueName: "name"))
    var computerName: String?

    @Option(help: ArgumentHelp("Where to write the keys (under --root).", valueName: "path"))
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

    @OptionGroup var options: DirectoryOptions

    func validate() throws {
        if noConfigure && (!allowGroup.isEmpty || sudoGroup != nil || configureDNS) {
            throw ValidationError("--allow-group, --sudo-group and --configure-dns configure the host: they cannot go with --no-configure")
        }
        if unlessJoined && dryRun {
            throw ValidationError("--unless-joined and --dry-run cannot go together")
        }
        if dryRun && options.output == .json {
            throw ValidationError("--dry-run prints diffs: it has no --output json")
        }
    }

    func run() throws {
        let deadline = Deadline(seconds: options.timeout)
        let reporter = Reporter(format: options.output, quiet: options.quiet)
        do throws(AdjoinError) {
            if unlessJoined, try alreadyJoined(reporter: reporter, deadline: deadline) { return }
            let hostJoin = HostJoin(DomainJoin(try request(), progress: reporter.progress), options: try hostOptions())
            if dryRun {
                Reporter.writeOut(try hostJoin.dryRun(deadline: deadline))
                return
            }
            let outcome = try hostJoin.run(deadline: deadline)
            let result = outcome.join
            let configured = noConfigure ? "not asked (--no-configure)" : outcome.configured.isEmpty ? "already configured, nothing changed" : outcome.configured.joined(separator: ", ")
            let message = "\(result.created ? "created" : "reused") \(result.computerDN); keytab \(result.keytabPath) proven at kvno \(result.kvno); host: \(configured)"
            reporter.success(lines: [
                ("domain", result.domain),
                ("computer-name", result.computerName),
                ("computer-dn", result.computerDN),
                ("domain-controller", result.domainController),
                ("kvno", String(result.kvno)),
                ("keytab", result.keytabPath),
                ("enctypes", result.encryptionTypes.map(\.name).joined(separator: " ")),
                ("host", configured),
                ("status", Status.joined.rawValue),
            ], json: .object([
                ("status", .string(Status.joined.rawValue)),
                ("domain", .string(result.domain)),
                ("computerName", .string(result.computerName)),
                ("computerDN", .string(result.computerDN)),
                ("domainController", .string(result.domainController)),
                ("kvno", .number(Int64(result.kvno))),
                ("configured", .array(outcome.configured.map { .string($0) })),
                ("durationMs", .number(deadline.elapsed.milliseconds)),
                ("message", .string(message)),
            ]))
        } catch {
            throw ExitCode(reporter.failure(error, domain: domain, elapsed: deadline.elapsed))
        }
    }

    private func hostOptions() throws(AdjoinError) -> HostJoin.Options? {
        guard !noConfigure else { return nil }
        var host = HostJoin.Options()
        for name in allowGroup {
            let group = try GroupName(name)
            if !host.allowedGroups.contains(group) { host.allowedGroups.append(group) }
        }
        host.sudoGroup = try sudoGroup.map { (name) throws(AdjoinError) in try GroupName(name) }
        host.configureDNS = configureDNS
        return host
    }

    private func request() throws(AdjoinError) -> JoinRequest {
        guard passwordStdin || dryRun else {
            throw .invalidInput("give the join user's password on standard input with --password-stdin (never as an argument)")
        }
        let domainName = try DomainName(domain)
        let files = HostFiles(root: root)
        let fqdn = (hostFqdn ?? JoinCommand.systemHostName(in: domainName)).lowercased()
        let name = if let computerName { try ComputerName(explicit: computerName) } else { try ComputerName(hostFQDN: fqdn) }
        let identity = if let owner { HostIdentity(owner) } else { try HostIdentity.machine(files: files) }
        let password = dryRun ? SecretBytes([]) : try SecretBytes.read(from: STDIN_FILENO)
        var request = JoinRequest(domain: domainName, user: user, password: password,
                                  hostFQDN: fqdn, computerName: name, owner: identity, osRelease: OSRelease.read(files: files))
        request.domainControllers = try options.parsedDomainControllers()
        request.dnsServers = try options.parsedDNSServers()
        request.organizationalUnit = ou
        request.keytabPath = keytab
        request.files = files
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
