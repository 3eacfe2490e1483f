import AdjoinCore
import Agent
import ArgumentParser

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Check this host's domain membership: keytab, account, configuration, sssd. Changes nothing.",
        discussion: """
            Checks, in order: adjoin joined this host (its record in /var/lib/adjoin/joined); the keytab \
            holds the machine's keys (mode 0600); a Kerberos login with the keytab and a sealed LDAP bind as \
            the machine work at a DC; the computer account exists, with the same kvno as the keytab's \
            newest keys; and, when the join configured the host, krb5.conf, sssd.conf, nsswitch.conf and PAM \
            are still set up for the domain, no more users may log in or use sudo than the join allowed \
            (sssd.conf with its conf.d snippets, /etc/sudoers.d/adjoin), and sssd runs (not checked under \
            --root). The status is the first failed check's.

            A copy of a joined host (an image made from it, booted as another instance or with a new \
            /etc/machine-id) is CLONED: its join record names another identity than this host's (the \
            instance id on EC2, read from instance metadata; elsewhere the machine-id hash). Then nothing \
            else is checked; `adjoin join` joins the copy as itself.

            \(StatusDocumentation.exitLine(for: .status))
            """
    )

    @Option(help: ArgumentHelp("The joined system is under this directory instead of / (as for join).", valueName: "dir"))
    var root = "/"

    @OptionGroup var options: DirectoryOptions

    func run() throws {
        try options.run(root: root, StatusUseCase(.init(directory: options.flags)))
    }
}
