import AdjoinCore
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
    import Glibc
#endif

/// Several state-changing commands on one host at once (the boot unit and a Run Command, say): the
/// host lock lets one run at a time, the others wait within their budget or end BUSY, and files a
/// killed run left are cleared. Checked against the lab DC, from outside.
@Suite(.needsLab) struct HostLockIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    func joinArguments(_ host: TestHost, timeout: Double = 30) -> [String] {
        [
            "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--host-fqdn", host.fqdn,
            "--root", host.root.path, "--no-configure", "--dns-server", lab.dcIP, "--ou", lab.organizationalUnit,
            "--output", "json", "--timeout", String(timeout),
        ]
    }

    /// Starts every command at once and waits for all.
    func concurrently(_ count: Int, _ arguments: [String]) throws -> [CommandResult] {
        let results = Locked<[CommandResult]>([])
        let group = DispatchGroup()
        for _ in 0..<count {
            group.enter()
            Thread {
                defer { group.leave() }
                if let result = try? runAgent(arguments, stdin: URL(fileURLWithPath: lab.joinPasswordFile)) {
                    results.withLock { $0.append(result) }
                }
            }.start()
        }
        group.wait()
        return results.withLock { $0 }
    }

    /// Every file under the root whose name marks it as a temporary file.
    func temporaries(under root: URL) -> [String] {
        let walker = FileManager.default.enumerator(atPath: root.path)
        return (walker?.allObjects as? [String] ?? []).filter { $0.contains(".adjoin-tmp.") || $0.hasSuffix(".adjoin-new") }
    }

    @Test(arguments: [2, 8]) func concurrentJoinsOfOneHostEndJoinedOrBusy(count: Int) throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let results = try concurrently(count, joinArguments(host))
        #expect(results.count == count)
        var joined = 0
        for result in results {
            let status = try jsonObject(result)["status"] as? String
            #expect(status == "JOINED" || status == "BUSY", "\(result.stdout) \(result.stderr)")
            if status == "JOINED" { joined += 1 }
        }
        #expect(joined >= 1)
        #expect(try admin.count(host.name + "$") == 1)
        let kinit = try kinitAsMachine(host, lab)
        #expect(kinit.status == 0, "kinit -k: \(kinit.stderr)")
        // The directory's kvno is the keytab's: the last writer's keys, not an earlier one's.
        let kvno = try #require(try admin.computer(host.name + "$")?["msds-keyversionnumber"]?.first.flatMap { Int($0) })
        #expect(try keytabVersions(host.keytab, principal: "\(host.name)$@\(lab.realm)") == [kvno])
        #expect(temporaries(under: host.root).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: host.root.appendingPathComponent("run/adjoin.lock").path))
    }

    @Test func aCommandThatCannotGetTheLockEndsBusyAndChangesNothing() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let folder = host.root.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let held = open(folder.appendingPathComponent("adjoin.lock").path, O_RDWR | O_CREAT, 0o600)
        #expect(flock(held, LOCK_EX) == 0)
        let busy = try runAgent(joinArguments(host, timeout: 1), stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(busy.status == Status.busy.exitCode, "\(busy.stdout) \(busy.stderr)")
        #expect(try jsonObject(busy)["status"] as? String == "BUSY")
        #expect(try admin.count(host.name + "$") == 0)
        #expect(!FileManager.default.fileExists(atPath: host.keytab.path))
        let leave = try runAgent(["leave", "--root", host.root.path, "--timeout", "1"])
        #expect(leave.status == Status.busy.exitCode)
        close(held)
        let joined = try runAgent(joinArguments(host), stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(joined.status == 0, "\(joined.stderr)")
    }

    /// What a run killed while writing leaves (today's unique names, and the fixed names of adjoin 0.1)
    /// is removed by the next command, and never taken for a kept original.
    @Test func temporaryFilesAKilledRunLeftAreRemoved() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let joined = try runAgent(joinArguments(host), stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(joined.status == 0, "\(joined.stderr)")
        let planted = [
            "etc/.adjoin-tmp.krb5.keytab.999.x1~", "etc/krb5.keytab.adjoin-new", "var/lib/adjoin/joined.adjoin-new",
            "var/lib/adjoin/created-directories.adjoin-new", "var/lib/adjoin/backup/etc/.adjoin-tmp.krb5.keytab.999.x2~",
            // A record of written content, killed while written (issue 24: it survived leave).
            "var/lib/adjoin/written/etc/.adjoin-tmp.krb5.keytab.sha256.999.x3~",
        ]
        for path in planted {
            try Data("left by a killed run\n".utf8).write(to: host.root.appendingPathComponent(path))
        }
        let left = try runAgent(["leave", "--root", host.root.path, "--output", "json"])
        #expect(left.status == 0, "\(left.stderr)")
        #expect(try jsonObject(left)["restored"] as? [String] == ["/etc/krb5.keytab"])
        #expect(temporaries(under: host.root).isEmpty, "\(temporaries(under: host.root))")
        #expect(!FileManager.default.fileExists(atPath: host.root.appendingPathComponent("var/lib/adjoin/written").path))
        #expect(try admin.count(host.name + "$") == 0)
    }
}
