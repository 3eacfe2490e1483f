import AdjoinCore
import Agent
import ArgumentParser

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

            The host's name (--host-fqdn) is then registered in the domain's DNS: an A record (AAAA for an IPv6 address) at the same DC,             written by the machine itself with a secure dynamic update signed with GSS-TSIG as NAME$ (no nsupdate,             no krb5.conf). The address is --dns-address, else on EC2 the instance's private IPv4 from instance             metadata (on an IPv6-only instance, its IPv6 address), else this host's address toward the DC. A refused update is a warning naming the DNS             server's answer, not a failed join. sssd's own dynamic DNS stays off (dyndns_update = false), so that             the record has one owner; leave removes it, rotate and status keep it true. --no-register-dns turns             it off.

            The password is read from standard input only, never from an argument or the environment.

            With --one-time-password-stdin there is no join user: an administrator created the account \
            beforehand with a one-time password (adjoin preset, or adcli preset-computer), and standard \
            input holds that password. The host logs in as the computer (NAME$) with it, writes on its own \
            account what is missing and a computer may write on itself (dNSHostName and SPNs for its \
            name), then at once changes its password to a random one with the Kerberos change-password \
            protocol (kpasswd, port 464): the one-time password logs in no more, and the working password \
            leaves the host only to the DC. Keys, keytab, proof and host configuration follow as for any \
            join. A one-time password that does not log in (used already, or the account reset since) is \
            ACCESS_DENIED: preset the account again. --owner must match the owner the preset recorded, if any.

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

            \(StatusDocumentation.exitLine(for: .join))
            """
    )

    @Option(help: ArgumentHelp(SettingKey.domain.flagHelp))
    var domain: String?

    @Option(help: ArgumentHelp(SettingKey.joinUser.flagHelp, valueName: "name"))
    var user: String?

    @Option(
        help: ArgumentHelp(
            "The SSM parameter (name or ARN) that holds the settings, or points to a central settings table (default adjoin, after /etc/default/adjoin; read when --domain is not given).",
            valueName: "name"))
    var parameter: String?

    @Option(help: ArgumentHelp(SettingKey.statusTable.flagHelp, valueName: "table"))
    var statusTable: String?

    @Flag(help: "Read the join user's password from standard input (the only way to give it).")
    var passwordStdin = false

    @Flag(
        help:
            "Read a one-time password from standard input and join the account an administrator preset with it (adjoin preset, adcli preset-computer): no join user. The host logs in as the computer and replaces the password at once with a random one."
    )
    var oneTimePasswordStdin = false

    @Option(
        help: ArgumentHelp(
            "On EC2: join through the join broker at this function URL (no join password on this host; default: ADJOIN_BROKER_URL in /etc/default/adjoin, else the settings' broker). See docs/broker.md.",
            valueName: "url"))
    var broker: String?

    @Option(help: ArgumentHelp(SettingKey.organizationalUnit.flagHelp, valueName: "dn"))
    var ou: String?

    @Option(help: ArgumentHelp("This host's fully qualified name (default: its host name, in the domain).", valueName: "fqdn"))
    var hostFqdn: String?

    @Option(help: ArgumentHelp("The computer account's name, at most 15 characters (default: from --host-fqdn).", valueName: "name"))
    var computerName: String?

    @Option(
        help: ArgumentHelp(
            "Where to write the keys, under --root (a relative path is taken from --root; one that leads out of it is refused).",
            valueName: "path"))
    var keytab = HostPath.defaultKeytab

    @Option(
        help: ArgumentHelp("Write files under this directory instead of / (for image builds and tests); it must exist.", valueName: "dir"))
    var root = "/"

    @Option(
        help: ArgumentHelp(
            "The owner to record on the account (default: a hash of /etc/machine-id; the instance id on EC2).", valueName: "id"))
    var owner: String?

    @Flag(help: "Also write RC4 keys and allow RC4 on the account (only for old clients that need it).")
    var rc4 = false

    @Option(name: .customLong("service-name"), help: ArgumentHelp(SettingKey.servicePrincipals.flagHelp, valueName: "name"))
    var serviceName: [String] = []

    @Flag(help: "Do not configure the host (krb5.conf, sssd, NSS, PAM); only the account and the keytab.")
    var noConfigure = false

    @Option(help: ArgumentHelp(SettingKey.allowedGroups.flagHelp, valueName: "group"))
    var allowGroup: [String] = []

    @Option(help: ArgumentHelp(SettingKey.sudoGroup.flagHelp, valueName: "group"))
    var sudoGroup: String?

    @Flag(help: ArgumentHelp(SettingKey.configureDNS.flagHelp))
    var configureDNS = false

    @Flag(help: ArgumentHelp(SettingKey.registerDNS.flagHelp))
    var noRegisterDns = false

    @Option(help: ArgumentHelp(SettingKey.dnsAddress.flagHelp, valueName: "ip"))
    var dnsAddress: String?

    @Flag(help: ArgumentHelp(SettingKey.configureSSH.flagHelp))
    var noConfigureSSH = false

    @Option(help: ArgumentHelp(SettingKey.sshPublicKeyAttribute.flagHelp, valueName: "attribute"))
    var sshPublicKeyAttribute: String?

    @Flag(help: ArgumentHelp(SettingKey.posixIDs.flagHelp))
    var posixIds = false

    @Flag(help: ArgumentHelp(SettingKey.updateSamba.flagHelp))
    var updateSamba = false

    @Flag(help: "Print what the join would do and each file change as a diff; change nothing (no password needed).")
    var dryRun = false

    @Flag(
        help:
            "Do nothing (JOINED, exit 0, no password read) when this host is already joined and healthy, as `adjoin status` checks it (for the boot unit)."
    )
    var unlessJoined = false

    @Option(
        help: ArgumentHelp(
            "Keep trying for this long (30m, 90s, 2h, or seconds) while attempts fail for a reason that can pass: NETWORK_ERROR, TIMEOUT, DOMAIN_NOT_FOUND, BUSY, UNKNOWN_ERROR. Each attempt has --timeout; pauses grow with full jitter (for the boot unit).",
            valueName: "duration"))
    var retryFor: String?

    @OptionGroup var options: DirectoryOptions

    func validate() throws {
        if oneTimePasswordStdin && (passwordStdin || user != nil) {
            throw ValidationError("--one-time-password-stdin joins as the computer itself: it takes no --user or --password-stdin")
        }
        if let broker {
            guard BrokerURL.isValid(broker) else {
                throw ValidationError("--broker must be the broker's https:// function URL, not \"\(broker)\"")
            }
            guard !oneTimePasswordStdin, !passwordStdin, user == nil, domain == nil, parameter == nil, !dryRun else {
                throw ValidationError(
                    "--broker joins with the broker's one-time password and settings: it takes no --one-time-password-stdin, --password-stdin, --user, --domain, --parameter or --dry-run"
                )
            }
        }
        if oneTimePasswordStdin && retryFor != nil {
            throw ValidationError("--one-time-password-stdin and --retry-for cannot go together: a one-time password serves one join")
        }
        if domain != nil && parameter == nil && user == nil && !dryRun && !oneTimePasswordStdin {
            throw ValidationError("--domain needs --user (or --parameter, whose settings name the join user)")
        }
        try validateAWSNames(parameter: parameter, statusTable: statusTable)
        if noConfigure
            && (!allowGroup.isEmpty || sudoGroup != nil || configureDNS || noConfigureSSH || posixIds || sshPublicKeyAttribute != nil)
        {
            throw ValidationError(
                "--allow-group, --sudo-group, --configure-dns, --no-configure-ssh, --posix-ids and --ssh-public-key-attribute configure the host: they cannot go with --no-configure"
            )
        }
        if let sshPublicKeyAttribute {
            guard AttributeName.isValid(sshPublicKeyAttribute) else {
                throw ValidationError(
                    "--ssh-public-key-attribute '\(sshPublicKeyAttribute)' is not an LDAP attribute name (a letter, then letters, digits and hyphens)"
                )
            }
            if noConfigureSSH {
                throw ValidationError("--ssh-public-key-attribute offers directory keys to sshd: it cannot go with --no-configure-ssh")
            }
        }
        if let dnsAddress, (try? AgentSettings.dnsAddress(dnsAddress)) == nil {
            throw ValidationError("--dns-address '\(dnsAddress)' is not an IP address (such as 10.0.0.12 or fd00::12, without brackets)")
        }
        if noRegisterDns && dnsAddress != nil {
            throw ValidationError("--dns-address names the address to register: it cannot go with --no-register-dns")
        }
        if unlessJoined && dryRun {
            throw ValidationError("--unless-joined and --dry-run cannot go together")
        }
        if let retryFor {
            guard BootRetry.parseDuration(retryFor) != nil else {
                throw ValidationError("--retry-for takes a duration such as 30m, 90s, 2h or 1d (at most 24 hours), or a number of seconds")
            }
            guard !dryRun else { throw ValidationError("--retry-for and --dry-run cannot go together") }
            guard !passwordStdin else {
                throw ValidationError(
                    "--retry-for reads the password from the settings, for all its attempts; a password on standard input serves one attempt only"
                )
            }
        }
        if dryRun && options.output == .json {
            throw ValidationError("--dry-run prints diffs: it has no --output json")
        }
    }

    func run() throws {
        var join = JoinUseCase.Options(directory: options.flags)
        join.settings.set(.domain, domain)
        join.settings.set(.joinUser, user)
        join.settings.set(.statusTable, statusTable)
        join.settings.set(.organizationalUnit, ou)
        join.settings.set(.allowedGroups, allowGroup)
        join.settings.set(.sudoGroup, sudoGroup)
        join.settings.set(.configureDNS, configureDNS ? true : nil)
        join.settings.set(.configureSSH, noConfigureSSH ? false : nil)
        join.settings.set(.posixIDs, posixIds ? true : nil)
        join.settings.set(.sshPublicKeyAttribute, sshPublicKeyAttribute)
        join.settings.set(.updateSamba, updateSamba ? true : nil)
        join.settings.set(.servicePrincipals, serviceName)
        join.settings.set(.registerDNS, noRegisterDns ? false : nil)
        join.settings.set(.dnsAddress, dnsAddress)
        join.parameter = parameter
        join.passwordFromStandardInput = passwordStdin
        join.oneTimePasswordFromStandardInput = oneTimePasswordStdin
        join.broker = broker
        join.hostFQDN = hostFqdn
        join.computerName = computerName
        join.keytab = keytab
        join.owner = owner
        join.rc4 = rc4
        join.configure = !noConfigure
        join.dryRun = dryRun
        join.unlessJoined = unlessJoined
        join.retryFor = retryFor.flatMap(BootRetry.parseDuration)
        try options.run(root: root, JoinUseCase(join))
    }
}
