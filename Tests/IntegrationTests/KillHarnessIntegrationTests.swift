import AdjoinCore
import Foundation
import Testing
import TestSupport
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
        [
            "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--host-fqdn", host.fqdn, "--root", host.root.path,
            "--no-configure", "--domain-controller", lab.dcIP, "--ou", lab.organizationalUnit, "--output", "json",
        ]
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

    /// The join started, killed as soon as its progress says `moment` (or left to finish, if it never
    /// does); whether it said it.
    @discardableResult
    func joinKilled(when moment: String, _ host: TestHost) throws -> Bool {
        try requireLoopbackMetadata(ProcessInfo.processInfo.environment)
        let process = Process()
        process.executableURL = Lab.agentBinary
        process.arguments = joinArguments(host)
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: lab.joinPasswordFile))
        process.standardOutput = FileHandle.nullDevice
        let progress = Pipe()
        process.standardError = progress
        try process.run()
        var said = ""
        while !said.contains(moment) {
            let chunk = progress.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            said += String(decoding: chunk, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return said.contains(moment)
    }

    /// The progress a join with --ou prints just before its account search and add leave together
    /// (after the intent record is written).
    static let creating = "and creating it in"

    /// Every file under the root whose name marks it as a temporary file.
    func temporaries(under root: URL) -> [String] {
        let walker = FileManager.default.enumerator(atPath: root.path)
        return (walker?.allObjects as? [String] ?? []).filter { $0.contains(".adjoin-tmp.") || $0.hasSuffix(".adjoin-new") }
    }

    /// Issue 24: a join killed between the account's creation and its keytab, then a plain `leave` (no
    /// join user, no rerun first). Once the machine may delete its own account, the keys the join was
    /// about to write log in and the account goes; before that, the leave ends with a status naming the
    /// leave that will (never UNKNOWN_ERROR), and that one does. No temporary file is left either way.
    @Test(arguments: [creating, "to delete its own account", "Writing keys for kvno"])
    func aPlainLeaveAfterAKilledJoinRemovesItsAccountOrNamesTheLeaveThatWill(moment: String) throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        #expect(try joinKilled(when: moment, host), "the join never said '\(moment)'")
        let accounts = try admin.count(host.name + "$")
        let left = try runAgent(["leave", "--root", host.root.path, "--domain-controller", lab.dcIP, "--output", "json"])
        let report = try jsonObject(left)
        let status = report["status"] as? String
        let message = report["message"] as? String ?? ""
        #expect(status != "UNKNOWN_ERROR", "killed at '\(moment)' (\(accounts) account): \(message)")
        if status == "DETACHED" {
            if (report["removed"] as? [String])?.isEmpty == false || accounts == 1 {
                #expect(try admin.count(host.name + "$") == 0, "killed at '\(moment)': \(left.stdout)")
            }
        } else {
            // Killed before the machine could delete its own account: the one thing left is a leave with a user.
            #expect(moment == Self.creating, "killed at '\(moment)': \(left.stdout) \(left.stderr)")
            #expect(["INSUFFICIENT_PERMISSIONS", "KEYTAB_INVALID"].contains(status), "\(left.stdout)")
            #expect(message.contains("adjoin leave --user NAME --password-stdin"), "\(message)")
            let withUser = try runAgent(
                [
                    "leave", "--root", host.root.path, "--user", lab.joinUser, "--password-stdin",
                    "--domain-controller", lab.dcIP, "--output", "json",
                ], stdin: URL(fileURLWithPath: lab.joinPasswordFile))
            #expect(withUser.status == 0, "\(withUser.stdout) \(withUser.stderr)")
            #expect(try admin.count(host.name + "$") == 0)
        }
        if moment != Self.creating {
            // The grant was made and the keys were on disk before the add: the plain leave removed the account.
            #expect(status == "DETACHED" && accounts == 1, "killed at '\(moment)' (\(accounts) account): \(left.stdout) \(left.stderr)")
        }
        #expect(temporaries(under: host.root).isEmpty, "\(temporaries(under: host.root))")
        let state = host.root.appendingPathComponent("var/lib/adjoin").path
        // What is left says which step's cleanup missed it (seen twice in CI under load, never alone).
        #expect(
            !FileManager.default.fileExists(atPath: state),
            "killed at '\(moment)', left: \(FileManager.default.enumerator(atPath: state)?.allObjects ?? []); \(left.stderr)")
    }

    /// Issue 24: a join under another name into a root joined (or half-joined, killed) as A is refused,
    /// naming A and the leave that removes it, before anything changes: never a second account with the
    /// first forgotten. After that leave, the join under the new name goes through.
    @Test(arguments: [false, true]) func aJoinUnderAnotherNameIsRefusedUntilTheFirstAccountLeaves(killed: Bool) throws {
        let first = try TestHost(domain: lab.domain)
        let second = try TestHost(domain: lab.domain)
        defer {
            try? admin.delete(first.name + "$")
            try? admin.delete(second.name + "$")
        }
        if killed {
            try joinKilled(when: "to delete its own account", first)
        } else {
            let joined = try runAgent(joinArguments(first), stdin: URL(fileURLWithPath: lab.joinPasswordFile))
            #expect(joined.status == 0, "\(joined.stderr)")
        }
        #expect(try admin.count(first.name + "$") == 1)
        let renamed = joinArguments(first).map { $0 == first.fqdn ? second.fqdn : $0 }
        for extra in [[], ["--unless-joined"]] {
            let refused = try runAgent(renamed + extra, stdin: URL(fileURLWithPath: lab.joinPasswordFile))
            #expect(refused.status == Status.invalidInput.exitCode, "\(extra): \(refused.stdout) \(refused.stderr)")
            let message = try jsonObject(refused)["message"] as? String ?? ""
            #expect(message.contains("\(first.name)$") && message.contains("adjoin leave"), "\(message)")
            #expect(try admin.count(second.name + "$") == 0)
        }
        if !killed {
            // Nothing changed: the first account's keys still prove.
            let kinit = try kinitAsMachine(first, lab)
            #expect(kinit.status == 0, "\(kinit.stderr)")
        }
        let left = try runAgent(["leave", "--root", first.root.path, "--domain-controller", lab.dcIP, "--output", "json"])
        #expect(left.status == 0, "\(left.stdout) \(left.stderr)")
        #expect(try admin.count(first.name + "$") == 0)
        let joined = try runAgent(renamed, stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(joined.status == 0, "\(joined.stdout) \(joined.stderr)")
        #expect(try admin.count(second.name + "$") == 1)
        let last = try runAgent(["leave", "--root", first.root.path, "--domain-controller", lab.dcIP, "--output", "json"])
        #expect(last.status == 0, "\(last.stdout)")
        #expect(try admin.count(second.name + "$") == 0 && admin.count(first.name + "$") == 0)
    }

    /// Issue 24: several hosts (separate roots) claim one computer name and one `--owner` at once. One of
    /// them holds the account; every other ends ACCOUNT_CONFLICT instead of resetting it under the
    /// winner, and every JOINED keytab proves once all are done. A host that comes later is refused too.
    @Test func hostsClaimingOneOwnerOnSeparateRootsHaveOneWinner() throws {
        let hosts = try (0..<4).map { _ in try TestHost(domain: lab.domain) }
        let name = hosts[0].name, fqdn = hosts[0].fqdn
        let owner = "shared-owner-\(name.lowercased())"
        defer { try? admin.delete(name + "$") }
        func arguments(_ host: TestHost) -> [String] {
            joinArguments(host).map { $0 == host.fqdn ? fqdn : $0 } + ["--owner", owner]
        }
        let results = Locked<[(Int, CommandResult)]>([])
        let group = DispatchGroup()
        let password = URL(fileURLWithPath: lab.joinPasswordFile)
        for (index, host) in hosts.enumerated() {
            let command = arguments(host)
            group.enter()
            Thread {
                defer { group.leave() }
                if let result = try? runAgent(command, stdin: password) {
                    results.withLock { $0.append((index, result)) }
                }
            }.start()
        }
        group.wait()
        let all = results.withLock { $0 }
        #expect(all.count == hosts.count)
        var winners: [TestHost] = []
        for (index, result) in all {
            let status = try jsonObject(result)["status"] as? String
            #expect(status == "JOINED" || status == "ACCOUNT_CONFLICT", "\(result.stdout) \(result.stderr)")
            if status == "JOINED" { winners.append(hosts[index]) }
        }
        #expect(winners.count == 1, "\(all.map { $0.1.stdout })")
        #expect(try admin.count(name + "$") == 1)
        let late = try TestHost(domain: lab.domain)
        let refused = try runAgent(arguments(late), stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(try jsonObject(refused)["status"] as? String == "ACCOUNT_CONFLICT", "\(refused.stdout)")
        for winner in winners {
            let kinit = try run(
                URL(fileURLWithPath: "/usr/bin/kinit"), ["-k", "-t", winner.keytab.path, "\(name)$@\(lab.realm)"],
                environment: ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "MEMORY:owner"])
            #expect(kinit.status == 0, "the winner's keytab: \(kinit.stderr)")
        }
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

            let left = try runAgent(
                [
                    "leave", "--root", host.root.path, "--user", lab.joinUser, "--password-stdin",
                    "--domain-controller", lab.dcIP, "--output", "json",
                ], stdin: URL(fileURLWithPath: lab.joinPasswordFile))
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
