import AdjoinCore
import ArgumentParser
import Kerberos

@main
struct Adjoin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adjoin",
        abstract: "Join this Linux host to Active Directory, natively over Kerberos and LDAP, and take it out again.",
        discussion: """
            Every command prints a final status and exits with that status's code:
              0  DISCOVERED, JOINED, DETACHED, SKIPPED, ROTATED, NOT_DUE, HEALTHY, SWEPT
              1  UNKNOWN_ERROR
             10  ACCESS_DENIED             authentication failed
             11  INSUFFICIENT_PERMISSIONS  authenticated, but the directory refused
                                           the change
             12  NETWORK_ERROR             no domain controller (or DNS server)
                                           answered
             13  TIMEOUT                   the --timeout budget was spent
             14  DOMAIN_NOT_FOUND          DNS does not know the domain, or no DC
                                           serves it
             15  INVALID_INPUT             a flag or setting is malformed, or names
                                           what the directory lacks; nothing changed
             16  ACCOUNT_CONFLICT          the computer account belongs to another host
             17  CONFIGURATION_FAILED      the host could not be configured (or, for
                                           leave, sssd stopped)
             20  NOT_JOINED                (status, rotate) adjoin has not joined
                                           this host
             21  KEYTAB_INVALID            the keytab is missing, rejected by the DC,
                                           or not at the account's kvno
             22  ACCOUNT_MISSING           (status, rotate) the computer account is gone
             23  CONFIGURATION_DRIFT       (status) a configuration file no longer says
                                           what the join wrote, or lets more users in
             24  SSSD_NOT_RUNNING          (status) the host is configured for sssd,
                                           but it is not running
             25  CLONED                    (status, rotate) this host is a copy of a
                                           joined host: its join record names another
                                           identity
             26  BUSY                      another join, leave or rotate holds this
                                           host's lock (transient: try again)
             27  PARTIAL                   (sweep) some accounts could not be decided
                                           (an AWS account or Region not asked)
             64  usage error (unknown flag, missing argument, bad value, flags that
                 cannot go together), as plain text
            """,
        version: AdjoinVersion.current,
        subcommands: [Discover.self, JoinCommand.self, LeaveCommand.self, RotateCommand.self, StatusCommand.self, SweepCommand.self]
    )

    /// Before anything is parsed or read: no core of this process, which will hold a password; and GSSAPI's
    /// profile, once, while no other thread exists (a failure is the first join's to report).
    static func main() {
        ProcessHardening.apply()
        try? GSSAPIConfiguration.prepareProcess()
        main(nil)
    }
}
