import AdjoinCore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A join killed (SIGKILL) at moments spread over its whole run, against the lab DC: whatever the
/// directory holds afterwards, the host says so (status), leave removes it, and a rerun joins.
@Suite(.needsLab) struct KillHarnessIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    func joinArguments(_ host: TestHost) -> [String] {
        ["join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--host-fqdn", host.fqdn, "--root", host.root.path,
         "--no-configure", "--domain-controller", lab.dcIP, "--ou", lab.organizationalUnit, "--output", "json"]
    }

    /// The join started, killed after `delay` (or left to finish, if it is quicker).
    func joinKilled(after delay: Duration, _ host: TestHost) throws {
        try requireLoopbackMetadata(ProcessInfo.processInfo.environment)
        let process = Process()
        process.executableURL = Lab.agentBinary
        process.arguments = joinArguments(host)
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: lab.joinPasswordFile))
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: delay.seconds)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    @Test func killsSpreadOverAJoinLeaveNothingLeaveCannotRemove() throws {
        // How long a whole join takes here, to spread the kills over it.
        let probe = try TestHost(domain: lab.domain)
        let started = ContinuousClock.now
        let joined = try runAgent(joinArguments(probe), stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        let span = ContinuousClock.now - started
        try admin.delete(probe.name + "$")
        #expect(joined.status == 0, "\(joined.stderr)")

        let kills = 8
        for index in 0..<kills {
            let host = try TestHost(domain: lab.domain)
            defer { try? admin.delete(host.name + "$") }
            let delay = span * (Double(index) + 0.5) / Double(kills)
            try joinKilled(after: delay, host)
            let accounts = try admin.count(host.name + "$")

            // Honest: an account in the directory is never reported as a host adjoin has not joined.
            let status = try runAgent(["status", "--root", host.root.path, "--domain-controller", lab.dcIP, "--output", "json"])
            let said = try jsonObject(status)["message"] as? String ?? ""
            if accounts == 1 {
                #expect(!said.contains("has not joined"), "killed after \(delay): the account exists, and status says \(said)")
            }

            let left = try runAgent(["leave", "--root", host.root.path, "--user", lab.joinUser, "--password-stdin",
                                     "--domain-controller", lab.dcIP, "--output", "json"], stdin: URL(fileURLWithPath: lab.joinPasswordFile))
            #expect(left.status == 0, "killed after \(delay): leave \(left.stdout) \(left.stderr)")
            #expect(try admin.count(host.name + "$") == 0, "killed after \(delay) (\(accounts) account): leave left it: \(left.stdout)")

            let rerun = try runAgent(joinArguments(host), stdin: URL(fileURLWithPath: lab.joinPasswordFile))
            #expect(rerun.status == 0, "killed after \(delay): rerun \(rerun.stdout) \(rerun.stderr)")
            #expect(try jsonObject(rerun)["status"] as? String == "JOINED")
            let kinit = try kinitAsMachine(host, lab)
            #expect(kinit.status == 0, "killed after \(delay): the rerun's keytab: \(kinit.stderr)")
        }
    }

    /// Killed after the keytab was proven, before the join record: only the intent record says what
    /// the directory holds. Leave needs no join user then: the machine's keytab proves, and the
    /// machine may delete its own account.
    @Test func aJoinInterruptedAfterItsProofLeavesWithTheMachinesKeytab() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let joined = try runAgent(joinArguments(host), stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(joined.status == 0, "\(joined.stderr)")
        let state = host.root.appendingPathComponent("var/lib/adjoin")
        try FileManager.default.moveItem(at: state.appendingPathComponent("joined"), to: state.appendingPathComponent("joining"))

        let status = try runAgent(["status", "--root", host.root.path, "--output", "json"])
        #expect(status.status == Status.notJoined.exitCode)
        #expect((try jsonObject(status)["message"] as? String)?.contains("was interrupted") == true, "\(status.stdout)")
        let left = try runAgent(["leave", "--root", host.root.path, "--output", "json"])
        #expect(left.status == 0, "\(left.stdout) \(left.stderr)")
        #expect(left.stderr.contains("with the keytab"))
        #expect(try jsonObject(left)["removed"] as? [String] == ["CN=\(host.name),\(lab.organizationalUnit)"])
        #expect(try admin.count(host.name + "$") == 0)
        #expect(!FileManager.default.fileExists(atPath: state.appendingPathComponent("joining").path))
    }
}
