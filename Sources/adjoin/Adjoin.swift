import AdjoinCore
import ArgumentParser
import Kerberos

@main
struct Adjoin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adjoin",
        abstract: "Join this Linux host to Active Directory, natively over Kerberos and LDAP, and take it out again.",
        discussion: "Every command prints a final status and exits with that status's code:\n" + StatusDocumentation.helpTable(),
        version: AdjoinVersion.current,
        subcommands: [
            Discover.self, JoinCommand.self, PresetCommand.self, LeaveCommand.self, RotateCommand.self, StatusCommand.self,
            SweepCommand.self,
            BrokerCommand.self,
        ]
    )

    /// Before anything is parsed or read: no core of this process, which will hold a password; and GSSAPI's
    /// profile, once, while no other thread exists (a failure is the first join's to report).
    static func main() {
        ProcessHardening.apply()
        try? GSSAPIConfiguration.prepareProcess()
        main(nil)
    }
}
