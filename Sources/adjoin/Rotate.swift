import AdjoinCore
import Agent
import ArgumentParser

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

            Every run also keeps the host's DNS record true, when the join registered one: it asks the DC's DNS             server for the host's name and, when the name does not resolve to the host's current address (on             EC2 the private IPv4 from instance metadata, or the IPv6 address of an IPv6-only instance; an address given with --dns-address stays as given;             otherwise the address toward the DC), registers it again as the machine (GSS-TSIG). A refusal is             noted in the output, not a failure.

            When smb.conf makes Samba on this host a member of the domain (security = ads, this realm), Samba \
            keeps the machine password too: rotate refuses (SAMBA_IN_USE, nothing changed) unless --update-samba \
            is given or the join recorded it (join --update-samba, the setting updateSamba). Then the new \
            password goes to Samba after the keytab is proven (net -s /etc/samba/smb.conf setdomainsid, then \
            changesecretpw -f -i with the password on standard input). If that fails, the keytab and the DC already hold \
            the new password (CONFIGURATION_FAILED, and the message says what to run).

            On a copy of a joined host (its join record names another instance or machine id) nothing is \
            changed: the password is the other host's (CLONED, exit 25).

            \(StatusDocumentation.exitLine(for: .rotate))
            """
    )

    @Option(help: ArgumentHelp("Change the password when it is at least this many days old (0: now).", valueName: "days"))
    var maxAge = 30

    @Option(help: ArgumentHelp("The joined system is under this directory instead of / (as for join).", valueName: "dir"))
    var root = "/"

    @Flag(
        help:
            "Keep Samba on this host in step: hand it the new password (net changesecretpw, on standard input). Needed when smb.conf makes Samba a member of the domain and the join did not record it."
    )
    var updateSamba = false

    @OptionGroup var options: DirectoryOptions

    func validate() throws {
        guard maxAge >= 0, maxAge <= 3650 else { throw ValidationError("--max-age must be 0 to 3650 days") }
    }

    func run() throws {
        try options.run(root: root, RotateUseCase(.init(maximumAgeDays: maxAge, directory: options.flags, updateSamba: updateSamba)))
    }
}
