import Foundation
import TestSupport
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

/// A PAM conversation through that system's pamtester: `user` with the password in `passwordFile`, through
/// `service`'s stack, for `operations`.
func pamtester(
    _ user: String, password passwordFile: String, _ operations: [String] = ["authenticate", "acct_mgmt"],
    service: String = "login", in system: some CommandRunner
) throws -> CommandResult {
    try system.run("/usr/bin/pamtester", [service, user] + operations, stdin: URL(fileURLWithPath: passwordFile))
}

/// What every login test checks: the login group's member gets in (with a session when `session`), the
/// other user is refused, and a wrong password is refused too, so that neither check passes by accident.
/// `sssd`: its log, for the failure message.
func expectOnlyTheMemberLogsIn(
    _ lab: LabEnvironment, in system: some CommandRunner, service: String = "login", session: Bool = false,
    sssd: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let operations = ["authenticate", "acct_mgmt"] + (session ? ["open_session", "close_session"] : [])
    let member = try pamtester(lab.memberUser, password: lab.memberPasswordFile, operations, service: service, in: system)
    #expect(member.status == 0, "\(member.stdout)\(member.stderr)\nsssd said: \(sssd().suffix(4000))", sourceLocation: sourceLocation)
    #expect((member.stdout + member.stderr).contains("successfully authenticated"), sourceLocation: sourceLocation)
    let nonmember = try pamtester(lab.nonmemberUser, password: lab.nonmemberPasswordFile, service: service, in: system)
    #expect(nonmember.status != 0, "\(nonmember.stdout)", sourceLocation: sourceLocation)
    #expect((nonmember.stdout + nonmember.stderr).contains("Permission denied"), "\(nonmember.stderr)", sourceLocation: sourceLocation)
    let wrong = try pamtester(lab.memberUser, password: lab.nonmemberPasswordFile, ["authenticate"], service: service, in: system)
    #expect(wrong.status != 0, "a wrong password logged in", sourceLocation: sourceLocation)
}
