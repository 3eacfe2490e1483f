import AdjoinCore
import Foundation
import Testing

/// A Samba file server on the joined host (smb.conf: security = ads), checked with Debian's own `net`:
/// Samba's copy of the machine password (its secrets.tdb) must follow every change adjoin makes, or
/// Samba's `net ads testjoin` fails. The member's Samba has its own smb.conf under the test host's
/// root, with its own private, state, lock and cache directories (the lab's DC is Samba too).
@Suite(.needsLab) struct SambaMemberIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    /// The host's smb.conf: a member of the lab's domain (or `security` as given), everything of Samba's under the root.
    func writeSambaConfiguration(_ host: TestHost, security: String = "ads") throws -> String {
        let samba = host.root.appendingPathComponent("samba")
        for folder in ["private", "state", "lock", "cache", "run", "ncalrpc"] {
            try FileManager.default.createDirectory(at: samba.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        let configuration = host.root.appendingPathComponent("etc/samba/smb.conf")
        try FileManager.default.createDirectory(at: configuration.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(
            """
            [global]
            \tworkgroup = \(lab.netbios)
            \trealm = \(lab.realm)
            \tsecurity = \(security)
            \tnetbios name = \(host.name)
            \tprivate dir = \(samba.path)/private
            \tstate directory = \(samba.path)/state
            \tlock directory = \(samba.path)/lock
            \tcache directory = \(samba.path)/cache
            \tpid directory = \(samba.path)/run
            \tncalrpc dir = \(samba.path)/ncalrpc
            \tpassword server = \(lab.dcIP)
            \tinterfaces = 127.0.0.1
            \tbind interfaces only = yes

            """.utf8
        ).write(to: configuration)
        return configuration.path
    }

    func join(_ host: TestHost, _ extra: [String] = []) throws -> CommandResult {
        try runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
                "--host-fqdn", host.fqdn, "--root", host.root.path, "--domain-controller", lab.dcIP, "--no-configure",
                "--no-register-dns", "--output", "json",
            ] + extra,
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
    }

    func agent(_ host: TestHost, _ arguments: [String]) throws -> CommandResult {
        try runAgent(arguments + ["--root", host.root.path, "--output", "json"])
    }

    /// Samba's own check: a Kerberos login with the password in its secrets.tdb.
    func testJoin(_ smbConf: String) throws -> CommandResult {
        try run(URL(fileURLWithPath: "/usr/bin/net"), ["-s", smbConf, "ads", "testjoin"])
    }

    /// The machine password as Samba holds it (secrets.tdb's record, read with tdbtool), to look for it in adjoin's output.
    func sambaPassword(_ host: TestHost) throws -> String {
        let database = host.root.appendingPathComponent("samba/private/secrets.tdb").path
        let shown = try run(URL(fileURLWithPath: "/usr/bin/tdbtool"), [database, "show", "SECRETS/MACHINE_PASSWORD/\(lab.netbios)"])
        // "[000] 24 6F 38 ...  $o8j...": sixteen bytes a line, in hexadecimal before the text column.
        var bytes: [UInt8] = []
        for line in shown.stdout.split(separator: "\n") where line.hasPrefix("[") {
            let hex = line.dropFirst(6).prefix(49)
            bytes += hex.split(separator: " ").compactMap { UInt8($0, radix: 16) }
        }
        while bytes.last == 0 { bytes.removeLast() }
        try #require(bytes.count >= 100, "no machine password in \(database): \(shown.stdout) \(shown.stderr)")
        return String(decoding: bytes, as: UTF8.self)
    }

    /// objectSid of the domain object, read over LDAPS as Administrator and written out here (S-1-5-21-...).
    func domainSID() throws -> String {
        let result = try admin.tool(
            "ldapsearch", ["-LLL", "-o", "ldif-wrap=no", "-b", lab.baseDN, "-s", "base", "(objectClass=*)", "objectSid"])
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("objectSid:: ") })
        let bytes = try #require(Data(base64Encoded: String(line.dropFirst("objectSid:: ".count)))).map { $0 }
        var text = "S-\(bytes[0])-\(bytes[7])"
        for index in 0..<Int(bytes[1]) {
            let at = 8 + 4 * index
            text += "-\(UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)"
        }
        return text
    }

    func checks(_ status: CommandResult) throws -> [String: (passed: Bool, detail: String)] {
        var found: [String: (Bool, String)] = [:]
        for check in try jsonObject(status)["checks"] as? [[String: Any]] ?? [] {
            found[check["name"] as? String ?? ""] = (check["passed"] as? Bool ?? false, check["detail"] as? String ?? "")
        }
        return found
    }

    @Test func joinedWithTheFlagSambaIsGivenEachPassword() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let smbConf = try writeSambaConfiguration(host)

        let joined = try join(host, ["--update-samba"])
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect((try jsonObject(joined)["message"] as? String)?.contains("Samba's secrets.tdb holds the new machine password") == true)
        let afterJoin = try testJoin(smbConf)
        #expect(afterJoin.status == 0, "net ads testjoin after the join: \(afterJoin.stdout) \(afterJoin.stderr)")
        // The domain's SID as the directory's administrator reads it (objectSid of the domain object).
        let domainSID = try run(URL(fileURLWithPath: "/usr/bin/net"), ["-s", smbConf, "getdomainsid"])
        #expect(domainSID.stdout.contains("SID for domain \(lab.netbios) is: \(try self.domainSID())"), "\(domainSID.stdout)")
        let first = try sambaPassword(host)
        #expect(!joined.stdout.contains(first) && !joined.stderr.contains(first), "the machine password was printed")

        // The join recorded the choice: the timer's rotation, with no flag, keeps Samba in step.
        let rotated = try agent(host, ["rotate", "--max-age", "0"])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        #expect(try jsonObject(rotated)["status"] as? String == "ROTATED")
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == ["2"])
        let second = try sambaPassword(host)
        let changed = second != first
        #expect(changed, "Samba holds the same password after the rotation")
        #expect(!rotated.stdout.contains(second) && !rotated.stderr.contains(second), "the machine password was printed")
        let afterRotation = try testJoin(smbConf)
        #expect(afterRotation.status == 0, "net ads testjoin after the rotation: \(afterRotation.stdout) \(afterRotation.stderr)")

        let status = try agent(host, ["status"])
        #expect(status.status == 0, "\(status.stdout)")
        let samba = try #require(try checks(status)["samba"])
        #expect(samba.passed && samba.detail.contains("`net ads testjoin` passes"), "\(samba.detail)")
    }

    @Test func withoutTheFlagRotateRefusesAndChangesNothing() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let smbConf = try writeSambaConfiguration(host)

        // A dry run says what would become of Samba, with and without the flag.
        func dryRun(_ extra: [String]) throws -> CommandResult {
            try runAgent(
                [
                    "join", "--domain", lab.domain, "--user", lab.joinUser, "--host-fqdn", host.fqdn, "--root", host.root.path,
                    "--domain-controller", lab.dcIP, "--no-configure", "--dry-run",
                ] + extra)
        }
        let without = try dryRun([])
        #expect(without.stdout.contains("would leave Samba"), "\(without.stdout) \(without.stderr)")
        #expect(try dryRun(["--update-samba"]).stdout.contains("would hand the new machine password and the domain SID to Samba"))

        // The join goes ahead (it is asked for), and says that Samba was left out.
        let joined = try join(host)
        #expect(joined.status == 0, "\(joined.stderr)")
        let warnings = try jsonObject(joined)["warnings"] as? [String] ?? []
        #expect(warnings.contains { $0.contains("--update-samba") }, "\(warnings)")
        #expect(try testJoin(smbConf).status != 0, "Samba was given a password it was not to be given")

        // status names it: Samba is out of step.
        let drifted = try agent(host, ["status"])
        #expect(drifted.status == Status.configurationDrift.exitCode, "\(drifted.stdout)")
        let check = try #require(try checks(drifted)["samba"])
        #expect(!check.passed && check.detail.contains("`adjoin rotate --max-age 0 --update-samba`"), "\(check.detail)")

        let keytabBefore = try Data(contentsOf: host.keytab)
        let refused = try agent(host, ["rotate", "--max-age", "0"])
        #expect(refused.status == Status.sambaInUse.exitCode, "\(refused.stdout) \(refused.stderr)")
        #expect(try jsonObject(refused)["status"] as? String == "SAMBA_IN_USE")
        #expect((try jsonObject(refused)["message"] as? String)?.contains("--update-samba") == true)
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == ["1"], "the password changed though rotate refused")
        #expect(try Data(contentsOf: host.keytab) == keytabBefore)

        // Told to, it changes the password and Samba follows.
        let rotated = try agent(host, ["rotate", "--max-age", "0", "--update-samba"])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == ["2"])
        let inStep = try testJoin(smbConf)
        #expect(inStep.status == 0, "net ads testjoin after rotate --update-samba: \(inStep.stdout) \(inStep.stderr)")
        let password = try sambaPassword(host)
        #expect(!rotated.stdout.contains(password) && !rotated.stderr.contains(password), "the machine password was printed")
        #expect(try agent(host, ["status"]).status == 0)
    }

    /// A Samba that is not a domain member (security = user), like a host with no smb.conf, changes nothing of today's behaviour.
    @Test func aSambaOfAnotherRoleIsLeftAlone() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        _ = try writeSambaConfiguration(host, security: "user")
        let joined = try join(host)
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(try jsonObject(joined)["warnings"] as? [String] ?? [] == [])
        let rotated = try agent(host, ["rotate", "--max-age", "0"])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        #expect(try jsonObject(rotated)["status"] as? String == "ROTATED")
        #expect(!FileManager.default.fileExists(atPath: host.root.appendingPathComponent("samba/private/secrets.tdb").path))
        let status = try agent(host, ["status"])
        #expect(status.status == 0)
        #expect(try checks(status)["samba"] == nil)
    }
}
