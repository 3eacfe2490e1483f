import AdjoinCore
import ArgumentParser

@main
struct Adjoin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adjoin",
        abstract: "Join this Linux host to Active Directory, natively over Kerberos and LDAP, and take it out again.",
        discussion: """
            Every command prints a final status and exits with that status's code:
              0  DISCOVERED, JOINED, DETACHED, SKIPPED
              1  UNKNOWN_ERROR
             10  ACCESS_DENIED             authentication failed
             11  INSUFFICIENT_PERMISSIONS  authenticated, but the directory refused the change
             12  NETWORK_ERROR             no domain controller (or DNS server) answered
             13  TIMEOUT                   the --timeout budget was spent
             14  DOMAIN_NOT_FOUND          DNS does not know the domain, or no DC serves it
             15  INVALID_INPUT             a flag or setting is malformed; nothing was attempted
             64  usage error (unknown flag, missing argument)
            """,
        version: AdjoinVersion.current,
        subcommands: [Discover.self, JoinCommand.self]
    )
}
