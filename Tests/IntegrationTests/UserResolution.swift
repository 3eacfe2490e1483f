import Foundation
import Testing

/// A system the tests run programs in: an /etc sandbox on this machine, or another distribution's root.
protocol CommandRunner {
    func run(_ program: String, _ arguments: [String], stdin: URL?) throws -> CommandResult
}

extension EtcSandbox: CommandRunner {}
extension RootSandbox: CommandRunner {}

/// The user's passwd line once that system's sssd answers for it (its back end online): bounded, not a fixed sleep.
func resolveUser(_ user: String, in system: some CommandRunner) throws -> String {
    let deadline = Date().addingTimeInterval(20)
    var last = CommandResult(status: -1, stdout: "", stderr: "")
    while Date() < deadline {
        last = try system.run("/usr/bin/getent", ["passwd", user], stdin: nil)
        if last.status == 0 { return last.stdout }
        Thread.sleep(forTimeInterval: 0.2)
    }
    Issue.record("getent passwd \(user) never resolved: \(last.stderr)")
    return ""
}
