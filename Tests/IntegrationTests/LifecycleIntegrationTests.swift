import AdjoinCore
import Foundation
import Testing

/// The lifecycle of a joined host against the lab DC: join, status, rotate, leave, leave again; and
/// the remote leave of a terminated instance's account. Checked from outside: the directory through
/// the administrator's OpenLDAP tools, keytabs through MIT's klist and kinit, files byte for byte.
@Suite(.serialized, .needsLab) struct LifecycleIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    func kinit(_ keytab: URL, _ name: String) throws -> CommandResult {
        try run(
            URL(fileURLWithPath: "/usr/bin/kinit"), ["-k", "-t", keytab.path, "\(name)$@\(lab.realm)"],
            environment: ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "MEMORY:lifecycle"])
    }

    /// On a live host (a never-joined /etc in a private mount namespace, real pam-auth-update, real sssd):
    /// the whole sequence, and /etc (and pam-auth-update's state) byte-identical afterwards.
    @Test func liveHostJoinsRotatesAndLeavesWithoutATrace() throws {
        let sandbox = try EtcSandbox(lab: lab)
        defer { sandbox.remove() }
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        try Data(krb5ConfWithAnotherRealm.utf8).write(to: sandbox.file("/etc/krb5.conf"))
        try writeForeignKeytab(sandbox.file("/etc/krb5.keytab"), scratch: host.root)
        let etcBefore = try contentSnapshot(sandbox.file("/etc"))
        let pamStateBefore = try contentSnapshot(sandbox.file("/var/lib/pam"))
        func agent(_ arguments: [String], stdin: URL? = nil) throws -> CommandResult {
            try sandbox.run(Lab.agentBinary.path, arguments, stdin: stdin)
        }

        // 1. join
        let joined = try agent(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
                "--host-fqdn", host.fqdn, "--allow-group", lab.loginGroup, "--output", "json",
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(joined.stderr.contains("to delete its own account"))
        let dn = "CN=\(host.name),\(lab.organizationalUnit)"
        #expect(try etcBefore != contentSnapshot(sandbox.file("/etc")))
        #expect(try sandbox.text("/etc/krb5.conf").contains("OTHER.EXAMPLE.ORG = {"))

        // 2. status: unhealthy until sssd runs, then healthy
        let withoutSSSD = try agent(["status", "--output", "json"])
        #expect(withoutSSSD.status == Status.sssdNotRunning.exitCode, "\(withoutSSSD.stdout)")
        #expect(try jsonObject(withoutSSSD)["status"] as? String == "SSSD_NOT_RUNNING")
        let sssd = try SandboxedSSSD(sandbox)
        defer { sssd.stop() }
        var status = withoutSSSD
        let until = Date().addingTimeInterval(20)
        repeat {
            Thread.sleep(forTimeInterval: 0.2)
            status = try agent(["status", "--output", "json"])
        } while status.status != 0 && Date() < until
        #expect(status.status == 0, "\(status.stdout)\(status.stderr)\nsssd: \(sssd.output)")
        let healthy = try jsonObject(status)
        #expect(healthy["status"] as? String == "HEALTHY")
        #expect(healthy["kvno"] as? Int == 1)
        #expect(healthy["keytabKvno"] as? Int == 1)
        // The join registered the host's name in DNS (on by default), and status checks it at the DC.
        #expect(
            (healthy["checks"] as? [[String: Any]])?.map { $0["name"] as? String } == [
                "joined", "keytab", "login", "account", "dns", "configuration", "sssd",
            ])

        // 3. rotate now: kvno + 1 in the directory and the keytab, the previous kvno kept, MIT kinit works
        let rotated = try agent(["rotate", "--max-age", "0", "--output", "json"])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let rotation = try jsonObject(rotated)
        #expect(rotation["status"] as? String == "ROTATED")
        #expect(rotation["previousKvno"] as? Int == 1)
        #expect(rotation["kvno"] as? Int == 2)
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == ["2"])
        #expect(try keytabVersions(sandbox.file("/etc/krb5.keytab"), principal: "\(host.name)$@\(lab.realm)") == [1, 2])
        #expect(try keytabVersions(sandbox.file("/etc/krb5.keytab"), principal: "HTTP/web.other.example.org@OTHER.EXAMPLE.ORG") == [3])
        let kinitAfter = try kinit(sandbox.file("/etc/krb5.keytab"), host.name)
        #expect(kinitAfter.status == 0, "\(kinitAfter.stderr)")
        #expect(try sandbox.mode("/etc/krb5.keytab") == 0o600)
        // Not due again for 30 days: nothing changes.
        let notDue = try agent(["rotate", "--output", "json"])
        #expect(try jsonObject(notDue)["status"] as? String == "NOT_DUE")
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == ["2"])
        #expect(try agent(["status"]).status == 0)

        // 4. leave with the machine's own keytab: the object (and a child object) gone, sssd stopped, /etc as before
        try admin.addChild(named: "adjoin-test-child", under: dn)
        #expect(try admin.subtreeCount(dn) == 2)
        let left = try agent(["leave", "--output", "json"])
        #expect(left.status == 0, "\(left.stderr)")
        let leave = try jsonObject(left)
        #expect(leave["status"] as? String == "DETACHED")
        #expect(leave["removed"] as? [String] == [dn])
        #expect(leave["accountWasGone"] as? Bool == false)
        #expect(left.stderr.contains("with the keytab"))
        #expect(try admin.subtreeCount(dn) == 0)
        #expect(try admin.count(host.name + "$") == 0)
        let etcAfter = try contentSnapshot(sandbox.file("/etc"))
        #expect(
            etcAfter == etcBefore,
            "changed: \(Set(etcAfter.keys).symmetricDifference(etcBefore.keys)) \(etcAfter.keys.filter { etcAfter[$0] != etcBefore[$0] })")
        #expect(try contentSnapshot(sandbox.file("/var/lib/pam")) == pamStateBefore)
        #expect(!FileManager.default.fileExists(atPath: sandbox.file("/var/lib/adjoin/joined").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.file("/var/lib/sss/db").path).isEmpty)
        #expect(left.stderr.contains("Stopped sssd"))
        let stopped = Date().addingTimeInterval(10)
        while sssd.process.isRunning && Date() < stopped { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!sssd.process.isRunning)

        // 5. leave again: success, and it says so
        let again = try agent(["leave", "--output", "json"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try jsonObject(again)["accountWasGone"] as? Bool == true)
        #expect((try jsonObject(again)["message"] as? String)?.contains("not joined") == true)
        #expect(try contentSnapshot(sandbox.file("/etc")) == etcBefore)
        let after = try agent(["status", "--output", "json"])
        #expect(after.status == Status.notJoined.exitCode)
    }

    /// The same under --root (an image, no distro tools, nothing running): PAM files edited, then put
    /// back; a neighbour's account stays when this host leaves.
    @Test func underRootTheSequenceLeavesOnlyItsOwnTrace() throws {
        let image = try imageRoot(lab)
        defer { image.remove() }
        try Data(krb5ConfWithAnotherRealm.utf8).write(to: image.file("/etc/krb5.conf"))
        let host = try TestHost(domain: lab.domain)
        let neighbour = try TestHost(domain: lab.domain)
        defer {
            try? admin.delete(host.name + "$")
            try? admin.delete(neighbour.name + "$")
        }
        let root = image.directory.path
        let before = try contentSnapshot(image.directory)
        let join = try runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
                "--host-fqdn", host.fqdn, "--root", root, "--domain-controller", lab.dcIP, "--allow-group", lab.loginGroup,
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(join.status == 0, "\(join.stderr)")
        let other = try runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
                "--host-fqdn", neighbour.fqdn, "--root", neighbour.root.path, "--domain-controller", lab.dcIP, "--no-configure",
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(other.status == 0, "\(other.stderr)")

        let status = try runAgent(["status", "--root", root, "--output", "json"])
        #expect(status.status == 0, "\(status.stdout)")
        #expect(status.stdout.contains("not checked under --root"))

        let rotated = try runAgent(["rotate", "--root", root, "--max-age", "0", "--output", "json"])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let keytab = image.file("/etc/krb5.keytab")
        #expect(try keytabVersions(keytab, principal: "\(host.name)$@\(lab.realm)") == [1, 2])
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == ["2"])
        #expect(try jsonObject(try runAgent(["status", "--root", root, "--output", "json"]))["keytabKvno"] as? Int == 2)
        #expect(try kinit(keytab, host.name).status == 0)

        let left = try runAgent(["leave", "--root", root, "--output", "json"])
        #expect(left.status == 0, "\(left.stderr)")
        #expect(try jsonObject(left)["status"] as? String == "DETACHED")
        #expect(try admin.count(host.name + "$") == 0)
        #expect(try admin.count(neighbour.name + "$") == 1)
        #expect(try kinit(neighbour.keytab, neighbour.name).status == 0)
        // The whole image as it was, folders included: nothing of adjoin's is left, not even its state.
        let after = try contentSnapshot(image.directory)
        let changed = after.keys.filter { before[$0] != after[$0] }.sorted()
        let gone = before.keys.filter { after[$0] == nil }.sorted()
        #expect(changed.isEmpty && gone.isEmpty, "changed or left behind: \(changed); gone: \(gone)")
        #expect(try runAgent(["leave", "--root", root]).status == 0)
    }

    @Test func statusNamesWhatIsWrong() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let root = host.root.path
        #expect(try runAgent(["status", "--root", root]).status == Status.notJoined.exitCode)
        let join = try runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
                "--host-fqdn", host.fqdn, "--root", root, "--domain-controller", lab.dcIP, "--no-configure",
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(join.status == 0, "\(join.stderr)")
        #expect(try runAgent(["status", "--root", root]).status == 0)

        // A keytab with the wrong keys (the account's password reset behind the host's back: a join
        // without the keytab resets it).
        let saved = try Data(contentsOf: host.keytab)
        try FileManager.default.removeItem(at: host.keytab)
        let rejoin = try runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
                "--host-fqdn", host.fqdn, "--root", root, "--domain-controller", lab.dcIP, "--no-configure",
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(rejoin.status == 0)
        func putBack() throws {
            try saved.write(to: host.keytab)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: host.keytab.path)
        }
        try putBack()
        let stale = try runAgent(["status", "--root", root, "--output", "json"])
        #expect(stale.status == Status.keytabInvalid.exitCode, "\(stale.stdout)")
        #expect((try jsonObject(stale)["message"] as? String)?.contains("the DC rejects the keys") == true, "\(stale.stdout)")
        #expect(try runAgent(["rotate", "--root", root, "--max-age", "0"]).status == Status.keytabInvalid.exitCode)

        try FileManager.default.removeItem(at: host.keytab)
        #expect(try runAgent(["status", "--root", root]).status == Status.keytabInvalid.exitCode)

        try putBack()
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: host.keytab.path)
        #expect(try runAgent(["status", "--root", root]).stdout.contains("readable by others"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: host.keytab.path)

        try admin.delete(host.name + "$")
        let missing = try runAgent(["status", "--root", root, "--output", "json"])
        #expect(missing.status == Status.accountMissing.exitCode, "\(missing.stdout)")
        // Leaving when the account is already gone still cleans up, and says so.
        let left = try runAgent(["leave", "--root", root, "--output", "json"])
        #expect(left.status == 0, "\(left.stderr)")
        #expect(try jsonObject(left)["accountWasGone"] as? Bool == true)
        #expect(!FileManager.default.fileExists(atPath: host.keytab.path))
    }

    /// A mistyped login group lets no one in, and sssd never says why: the join looks the groups up in
    /// the directory and warns of the one it does not hold (the join stands).
    @Test func aLoginGroupTheDomainDoesNotHoldIsAWarning() throws {
        let image = try imageRoot(lab)
        defer { image.remove() }
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let joined = try runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
                "--host-fqdn", host.fqdn, "--root", image.directory.path, "--domain-controller", lab.dcIP,
                "--allow-group", lab.loginGroup, "--allow-group", lab.loginGroup + "x", "--allow-group", "Domain Admins",
                "--sudo-group", lab.loginGroup, "--output", "json",
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(
            try jsonObject(joined)["warnings"] as? [String] == [
                "the domain has no group \(lab.loginGroup)x: no one logs in or uses sudo by it (check the name: sssd matches it as written)"
            ])
    }

    /// Leave puts back the pre-join files; one someone changed after the join keeps that change beside
    /// it (NAME.adjoin-left), and leave says so.
    @Test func leaveKeepsWhatWasChangedAfterTheJoin() throws {
        let image = try imageRoot(lab)
        defer { image.remove() }
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let before = try image.text("/etc/nsswitch.conf")
        let joined = try runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
                "--host-fqdn", host.fqdn, "--root", image.directory.path, "--domain-controller", lab.dcIP,
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(joined.status == 0, "\(joined.stderr)")
        let changed = try image.text("/etc/nsswitch.conf") + "automount:      files\n"
        try Data(changed.utf8).write(to: image.file("/etc/nsswitch.conf"))
        let krb5 = try image.text("/etc/krb5.conf")

        let left = try runAgent(["leave", "--root", image.directory.path, "--output", "json"])
        #expect(left.status == 0, "\(left.stderr)")
        #expect(try image.text("/etc/nsswitch.conf") == before)
        #expect(try image.text("/etc/nsswitch.conf.adjoin-left") == changed)
        #expect(try image.mode("/etc/nsswitch.conf.adjoin-left") == 0o600)
        let message = try jsonObject(left)["message"] as? String ?? ""
        #expect(
            message.contains(
                "/etc/nsswitch.conf was changed after the join; the pre-join version is back, and the changed file is kept as"),
            "\(message)")
        // krb5.conf, as adjoin wrote it, goes without a copy.
        #expect(!FileManager.default.fileExists(atPath: image.file("/etc/krb5.conf.adjoin-left").path))
        #expect(!krb5.isEmpty)
    }

    /// With the DC out of reach, --keep-account still cleans the host; the account stays, and the
    /// output says how to remove it.
    @Test func keepAccountCleansTheHostWithoutTheDirectory() throws {
        let image = try imageRoot(lab)
        defer { image.remove() }
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let etcBefore = try contentSnapshot(image.file("/etc"))
        let joined = try runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
                "--host-fqdn", host.fqdn, "--root", image.directory.path, "--domain-controller", lab.dcIP,
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(joined.status == 0, "\(joined.stderr)")
        // An address nothing answers on: without --keep-account the leave cannot start, and nothing changes.
        let unreachable = ["--domain-controller", "127.0.0.99", "--timeout", "3"]
        let refused = try runAgent(["leave", "--root", image.directory.path, "--output", "json"] + unreachable)
        #expect(refused.status != 0)
        #expect(FileManager.default.fileExists(atPath: image.file("/var/lib/adjoin/joined").path))

        let left = try runAgent(["leave", "--keep-account", "--root", image.directory.path, "--output", "json"] + unreachable)
        #expect(left.status == 0, "\(left.stdout) \(left.stderr)")
        let json = try jsonObject(left)
        #expect(json["status"] as? String == "DETACHED")
        #expect(
            (json["message"] as? String)?.contains(
                "kept the computer account CN=\(host.name),\(lab.organizationalUnit) in the directory "
                    + "(--keep-account): adjoin leave --computer-name \(host.name)") == true, "\(left.stdout)")
        #expect(try admin.count(host.name + "$") == 1)
        #expect(try contentSnapshot(image.file("/etc")) == etcBefore)
        #expect(!FileManager.default.fileExists(atPath: image.file("/var/lib/adjoin/joined").path))
    }

    /// `join --unless-joined` on a healthy host notices that the flags now name other login or sudo groups,
    /// and joins again to configure them (keys kept); with the same groups it changes nothing.
    @Test func unlessJoinedFollowsChangedGroups() throws {
        let image = try imageRoot(lab)
        defer { image.remove() }
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let root = image.directory.path
        let flags = [
            "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
            "--host-fqdn", host.fqdn, "--root", root, "--domain-controller", lab.dcIP, "--no-register-dns",
        ]
        let join = try runAgent(["join"] + flags + ["--allow-group", lab.loginGroup], stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(join.status == 0, "\(join.stderr)")
        let kvno = try admin.computer(host.name + "$")?["msds-keyversionnumber"]

        let same = try runAgent(
            ["join", "--unless-joined"] + flags + ["--allow-group", lab.loginGroup], stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(same.status == 0 && same.stdout.contains("already configured, nothing changed"), "\(same.stdout) \(same.stderr)")

        let changed = try runAgent(
            ["join", "--unless-joined"] + flags + ["--allow-group", "Domain Users", "--sudo-group", lab.loginGroup],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(changed.status == 0, "\(changed.stderr)")
        #expect(
            changed.stderr.contains("the groups allowed to log in are now Domain Users, not \(lab.loginGroup): joining again"),
            "\(changed.stderr)")
        #expect(try image.text("/etc/sssd/sssd.conf").contains("simple_allow_groups = Domain Users"))
        #expect(try image.text("/etc/sudoers.d/adjoin").contains("%\(lab.loginGroup) ALL=(ALL:ALL) ALL"))
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == kvno)
        #expect(try runAgent(["status", "--root", root]).status == 0)

        let sudoOnly = try runAgent(
            ["join", "--unless-joined"] + flags + ["--allow-group", "Domain Users", "--sudo-group", "Domain Users"],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(sudoOnly.stderr.contains("the sudo group is now Domain Users, not \(lab.loginGroup)"), "\(sudoOnly.stderr)")
        #expect(try image.text("/etc/sudoers.d/adjoin").contains("%Domain\\ Users ALL=(ALL:ALL) ALL"))
    }

    @Test func configurationDriftIsReported() throws {
        let image = try imageRoot(lab)
        defer { image.remove() }
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let root = image.directory.path
        let flags = [
            "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
            "--host-fqdn", host.fqdn, "--root", root, "--domain-controller", lab.dcIP, "--allow-group", lab.loginGroup,
        ]
        let join = try runAgent(["join"] + flags, stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(join.status == 0, "\(join.stderr)")
        let healthy = try runAgent(["status", "--root", root])
        #expect(healthy.status == 0)
        #expect(healthy.stdout.contains("set up for \(lab.domain); logins limited to \(lab.loginGroup)"), "\(healthy.stdout)")

        // Someone lets every domain user in behind adjoin's back: drift, and --unless-joined puts it back.
        let sssdConf = try image.text("/etc/sssd/sssd.conf")
        try Data(sssdConf.replacingOccurrences(of: "access_provider = simple", with: "access_provider = permit").utf8)
            .write(to: image.file("/etc/sssd/sssd.conf"))
        let opened = try runAgent(["status", "--root", root, "--output", "json"])
        #expect(opened.status == Status.configurationDrift.exitCode, "\(opened.stdout)")
        #expect(
            (try jsonObject(opened)["message"] as? String)?.contains(
                "access_provider = permit, where the join let only \(lab.loginGroup) log in") == true,
            "\(opened.stdout)")
        let repaired = try runAgent(["join", "--unless-joined"] + flags, stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(repaired.status == 0, "\(repaired.stderr)")
        #expect(try image.text("/etc/sssd/sssd.conf").contains("access_provider = simple"))
        #expect(try runAgent(["status", "--root", root]).status == 0)

        let nsswitch = try image.text("/etc/nsswitch.conf")
        try Data(nsswitch.replacingOccurrences(of: " sss", with: "").utf8).write(to: image.file("/etc/nsswitch.conf"))
        let drift = try runAgent(["status", "--root", root, "--output", "json"])
        #expect(drift.status == Status.configurationDrift.exitCode, "\(drift.stdout)")
        #expect((try jsonObject(drift)["message"] as? String)?.contains("nsswitch.conf does not ask sss for passwd") == true)
        // join --unless-joined is not fooled: an unhealthy host is joined (and configured) again.
        let again = try runAgent(["join", "--unless-joined"] + flags, stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("CONFIGURATION_DRIFT"))
        #expect(try runAgent(["status", "--root", root]).status == 0)
        // Healthy now: --unless-joined reads no password and changes nothing (the kvno stays).
        let kvno = try admin.computer(host.name + "$")?["msds-keyversionnumber"]
        let untouched = try runAgent([
            "join", "--unless-joined", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin",
            "--host-fqdn", host.fqdn, "--root", root, "--domain-controller", lab.dcIP, "--output", "json",
        ])
        #expect(untouched.status == 0, "\(untouched.stderr)")
        #expect(try jsonObject(untouched)["status"] as? String == "JOINED")
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == kvno)
    }

    /// From an admin host: remove a terminated instance's account by instance id or by name; another
    /// instance's account is never removed when asked by instance id.
    @Test func remoteLeaveRemovesOnlyItsTarget() throws {
        let id = { "i-0" + String(UInt64.random(in: 0...UInt64.max), radix: 16) }
        let hosts = try (0..<3).map { _ in (try TestHost(domain: lab.domain), id()) }
        defer { for (host, _) in hosts { try? admin.delete(host.name + "$") } }
        for (host, owner) in hosts {
            let join = try runAgent(
                [
                    "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
                    "--host-fqdn", host.fqdn, "--root", host.root.path, "--domain-controller", lab.dcIP, "--no-configure",
                    "--owner", owner,
                ], stdin: URL(fileURLWithPath: lab.joinPasswordFile))
            #expect(join.status == 0, "\(join.stderr)")
        }
        let (first, firstID) = hosts[0]
        let (second, _) = hosts[1]
        let (third, thirdID) = hosts[2]
        func remote(_ extra: [String]) throws -> CommandResult {
            try runAgent(
                [
                    "leave", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--domain-controller", lab.dcIP,
                    "--output", "json",
                ] + extra, stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        }
        try admin.addChild(named: "adjoin-test-child", under: "CN=\(first.name),\(lab.organizationalUnit)")

        // By instance id: the first instance's account (and its child) go; the others stay.
        let byID = try remote(["--instance-id", firstID])
        #expect(byID.status == 0, "\(byID.stderr)")
        let result = try jsonObject(byID)
        #expect(result["status"] as? String == "DETACHED")
        #expect(result["owner"] as? String == firstID)
        #expect(result["computerName"] as? String == first.name)
        #expect(result["removed"] as? [String] == ["CN=\(first.name),\(lab.organizationalUnit)"])
        #expect(try admin.count(first.name + "$") == 0)
        #expect(try admin.count(second.name + "$") == 1)
        #expect(try admin.count(third.name + "$") == 1)
        let password = String(decoding: try lab.joinPassword(), as: UTF8.self)
        #expect(!(byID.stdout + byID.stderr).contains(password))

        // Asked for the second account in the third instance's name: refused, nothing removed.
        let wrongOwner = try remote(["--computer-name", second.name, "--instance-id", thirdID])
        #expect(wrongOwner.status == Status.accountConflict.exitCode, "\(wrongOwner.stdout)")
        #expect(try admin.count(second.name + "$") == 1)

        // By name: that account goes, the third stays.
        let byName = try remote(["--computer-name", second.name])
        #expect(byName.status == 0, "\(byName.stderr)")
        #expect(try admin.count(second.name + "$") == 0)
        #expect(try admin.count(third.name + "$") == 1)
        #expect(try kinit(third.keytab, third.name).status == 0)

        // Again: nothing to remove, still a success.
        let again = try remote(["--instance-id", firstID])
        #expect(again.status == 0)
        #expect(try jsonObject(again)["accountWasGone"] as? Bool == true)
        #expect(try remote(["--instance-id", "bad id!"]).status == Status.invalidInput.exitCode)
    }

    /// A remote leave by name is safe against typos: --dry-run says what would go and removes nothing, and
    /// a domain controller's account is refused even to an administrator with --allow-unmarked.
    @Test func remoteLeaveDryRunAndTheDomainControllersAccount() throws {
        let host = try TestHost(domain: lab.domain)
        let owner = "i-0" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        defer { try? admin.delete(host.name + "$") }
        let join = try runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
                "--host-fqdn", host.fqdn, "--root", host.root.path, "--domain-controller", lab.dcIP, "--no-configure",
                "--owner", owner,
            ], stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(join.status == 0, "\(join.stderr)")
        let dryRun = try runAgent(
            [
                "leave", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--domain-controller", lab.dcIP,
                "--computer-name", host.name, "--dry-run",
            ], stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        // The join registered the host's name (its address toward the DC): that record would go too.
        #expect(
            dryRun.stdout == "would remove CN=\(host.name),\(lab.organizationalUnit) (owner \(owner)) and its child objects, "
                + "and its DNS record \(host.fqdn.lowercased()) (through \(lab.dcHost))\n",
            "\(dryRun.stdout)")
        #expect(try admin.count(host.name + "$") == 1)

        let dc = try runAgent(
            [
                "leave", "--domain", lab.domain, "--user", "Administrator", "--password-stdin", "--domain-controller", lab.dcIP,
                "--computer-name", "DC1", "--allow-unmarked", "--dry-run",
            ], stdin: URL(fileURLWithPath: lab.adminPasswordFile))
        #expect(dc.status == Status.accountConflict.exitCode, "\(dc.stdout) \(dc.stderr)")
        #expect(dc.stderr.contains("is a domain controller's account") && dc.stderr.contains("adjoin never removes it"), "\(dc.stderr)")
        #expect(try admin.count("DC1$") == 1)
    }

    @Test func leaveFlagsAreChecked() throws {
        // A remote leave given a domain needs a join user (without one, the settings parameter supplies both).
        #expect(try runAgent(["leave", "--computer-name", "X", "--domain", lab.domain]).status == 64)
        #expect(
            try runAgent([
                "leave", "--instance-id", "i-1234abcd", "--only-if-terminating", "--domain", lab.domain, "--user", "u", "--password-stdin",
            ]).status == 64)
        #expect(try runAgent(["leave", "--parameter", "has space"]).status == 64)
        #expect(try runAgent(["leave", "--user", "adjoiner"]).status == 64)
        #expect(try runAgent(["leave", "--domain", lab.domain]).status == 64)
        #expect(try runAgent(["rotate", "--max-age", "-1"]).status == 64)
        let remoteKeep = try runAgent([
            "leave", "--keep-account", "--computer-name", "X", "--domain", lab.domain, "--user", "u", "--password-stdin",
        ])
        #expect(
            remoteKeep.status == 64 && remoteKeep.stderr.contains("--keep-account is for a leave on the joined host"),
            "\(remoteKeep.stderr)")
        #expect(try runAgent(["leave", "--dry-run"]).status == 64)
        #expect(
            try runAgent([
                "leave", "--instance-id", "i-1234abcd", "--allow-unmarked", "--domain", lab.domain, "--user", "u", "--password-stdin",
            ]).status == 64)
        let keepWithUser = try runAgent(["leave", "--keep-account", "--user", "u", "--password-stdin"])
        #expect(keepWithUser.status == 64 && keepWithUser.stderr.contains("it needs no --user"), "\(keepWithUser.stderr)")
    }
}
