import Foundation
import TestSupport
import Testing

/// SSH after a join, with the real sshd and ssh of the machine (openssh-server, openssh-client, sshpass)
/// in an /etc sandbox that carries a cloud image's `PasswordAuthentication no`: members of the allowed
/// group get in with their AD password and by Kerberos, a non-member does not, a local key-only user
/// stays key-only, and leave puts /etc/ssh back byte for byte. Named so that scripts/test runs it with
/// the other sssd logins, alone (its filter is HostLoginIntegrationTests).
@Suite(.serialized, .needsLab) struct SSHHostLoginIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    /// sshd's address, 127.0.3.X for the lab DC's 127.0.0.X: each lab's runs keep to their own.
    static var address: String {
        "127.0.3." + (ProcessInfo.processInfo.environment["ADJOIN_LAB_DC_IP"]?.split(separator: ".").last.map(String.init) ?? "10")
    }
    static let port = "2222"

    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    /// The real ssh client inside the sandbox (its /etc/hosts names the host, its krb5.conf is the join's).
    func ssh(
        _ sandbox: EtcSandbox, _ user: String, _ host: TestHost, _ options: [String], password: URL? = nil,
        environment: [String] = []
    ) throws -> CommandResult {
        let ssh =
            [
                "/usr/bin/ssh", "-p", Self.port, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=30",
            ] + options + ["\(user)@\(host.fqdn)", "id"]
        let command = (password.map { ["/usr/bin/sshpass", "-f", $0.path] } ?? []) + ssh
        return try sandbox.run("/usr/bin/env", environment + command)
    }

    func byPassword(_ method: String) -> [String] {
        ["-o", "PreferredAuthentications=\(method)", "-o", "PubkeyAuthentication=no"]
    }

    /// Every file under the sandbox's /etc/ssh with its bytes and mode.
    func sshFiles(_ sandbox: EtcSandbox) throws -> [String: String] {
        var result: [String: String] = [:]
        let top = sandbox.file("/etc/ssh")
        let files = try #require(FileManager.default.enumerator(at: top, includingPropertiesForKeys: nil))
        for case let url as URL in files {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            result[url.path] = "\(try Data(contentsOf: url).base64EncodedString()) \(attributes[.posixPermissions] as? Int ?? -1)"
        }
        return result
    }

    @Test func allowedGroupLogsInByPasswordAndKerberosAndEveryoneElseKeepsTheImagesRules() throws {
        let sandbox = try EtcSandbox(lab: lab)
        defer { sandbox.remove() }
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        try #require(
            FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd")
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/sshpass"),
            "openssh-server and sshpass must be installed (scripts/lab installs them)")

        // The cloud image: cloud-init's drop-in turns passwords off (Debian's main file already has
        // keyboard-interactive off). The host's name resolves to sshd's address, for the client and Kerberos.
        let cloudInit = sandbox.file("/etc/ssh/sshd_config.d/50-cloud-init.conf")
        try Data("PasswordAuthentication no\nKbdInteractiveAuthentication no\n".utf8).write(to: cloudInit)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: cloudInit.path)
        let hosts = try FileHandle(forWritingTo: sandbox.file("/etc/hosts"))
        try hosts.seekToEnd()
        try hosts.write(contentsOf: Data("\(Self.address) \(host.fqdn) \(host.name.lowercased())\n".utf8))
        try hosts.close()

        // A local user who logs in by key, and has a password that must stay refused over SSH.
        let carolPassword = sandbox.directory.appendingPathComponent("carol.password")
        try Data("Kq7-Vw2-Lr9-local\n".utf8).write(to: carolPassword)
        let carolLine = sandbox.directory.appendingPathComponent("carol.chpasswd")
        try Data("carol:Kq7-Vw2-Lr9-local\n".utf8).write(to: carolLine)
        #expect(try sandbox.run("/usr/sbin/useradd", ["-m", "-s", "/bin/bash", "carol"]).status == 0)
        #expect(try sandbox.run("/usr/sbin/chpasswd", [], stdin: carolLine).status == 0)
        let carolKey = sandbox.directory.appendingPathComponent("carol_key")
        #expect(try sandbox.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", carolKey.path]).status == 0)
        let carolSSH = sandbox.file("/home/carol/.ssh")
        try FileManager.default.createDirectory(at: carolSSH, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: carolKey.appendingPathExtension("pub"), to: carolSSH.appendingPathComponent("authorized_keys"))
        #expect(try sandbox.run("/usr/bin/chown", ["-R", "carol:carol", "/home/carol/.ssh"]).status == 0)
        let byKey = ["-o", "PreferredAuthentications=publickey", "-o", "IdentitiesOnly=yes", "-i", carolKey.path, "-o", "BatchMode=yes"]

        let before = try sshFiles(sandbox)
        let sshd = try SandboxedSSHD(sandbox, hostName: host.fqdn, listen: "\(Self.address):\(Self.port)")
        defer { sshd.stop() }
        try sshd.waitUntilListening(times: 1)
        // Read now: sshd writes the file again as it restarts on SIGHUP (the pid stays).
        let sshdPID = sshd.pid
        try #require(sshdPID > 0)
        #expect(try ssh(sandbox, "carol", host, byKey).stdout.contains("uid="), "sshd said: \(sshd.output)")

        let joined = try sandbox.run(
            Lab.agentBinary.path,
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin",
                "--ou", lab.organizationalUnit, "--host-fqdn", host.fqdn,
                "--allow-group", lab.loginGroup,
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(
            (try? sandbox.text("/etc/ssh/sshd_config.d/10-adjoin.conf"))?.contains("\nMatch Group \"\(lab.loginGroup.lowercased())\"\n")
                == true)
        // The running sshd was told to read it: it restarts itself and listens again.
        #expect(joined.stderr.contains("Reloaded sshd (SIGHUP to pid \(sshdPID))"), "\(joined.stderr)")
        try sshd.waitUntilListening(times: 2)

        let timeouts = try SSSDTestTimeouts(in: sandbox.file("/etc/sssd/conf.d"), domain: lab.domain)
        let sssd = try SandboxedSSSD(sandbox)
        defer { sssd.stop() }
        #expect(try resolveUser(lab.memberUser, in: sandbox).hasPrefix("\(lab.memberUser):*:"), "sssd said: \(sssd.output.suffix(3000))")
        let alicePassword = URL(fileURLWithPath: lab.memberPasswordFile)

        // The member: by password and by keyboard-interactive (PAM, sssd), with her domain group.
        for method in ["password", "keyboard-interactive"] {
            let alice = try ssh(sandbox, lab.memberUser, host, byPassword(method), password: alicePassword)
            #expect(
                alice.status == 0,
                "\(method): \(alice.stderr)\nsshd said: \(sshd.output.suffix(3000))\nsssd said: \(sssd.output.suffix(3000))")
            #expect(alice.stdout.contains("uid=") && alice.stdout.contains("(\(lab.loginGroup.lowercased()))"), "\(alice.stdout)")
        }
        // The non-member is offered no password at all: the image's rule holds for him.
        let bob = try ssh(
            sandbox, lab.nonmemberUser, host, byPassword("password,keyboard-interactive"),
            password: URL(fileURLWithPath: lab.nonmemberPasswordFile))
        #expect(bob.status != 0)
        #expect(!bob.stdout.contains("uid="))
        #expect(bob.stderr.contains("Permission denied (publickey)"), "\(bob.stderr)")
        // The local user: still by key, still not by password.
        #expect(try ssh(sandbox, "carol", host, byKey).stdout.contains("uid="))
        let carol = try ssh(sandbox, "carol", host, byPassword("password,keyboard-interactive"), password: carolPassword)
        #expect(carol.status != 0)
        #expect(carol.stderr.contains("Permission denied (publickey)"), "\(carol.stderr)")

        // Kerberos: a ticket of alice's own, then no password asked (BatchMode), the host keytab accepting.
        let cache = "KRB5CCNAME=FILE:" + sandbox.directory.appendingPathComponent("alice.ccache").path
        let kinit = try sandbox.run("/usr/bin/env", [cache, "/usr/bin/kinit", lab.memberUser], stdin: alicePassword)
        #expect(kinit.status == 0, "\(kinit.stderr)")
        let gssapi = try ssh(
            sandbox, lab.memberUser, host,
            [
                "-o", "BatchMode=yes", "-o", "GSSAPIAuthentication=yes",
                "-o", "PreferredAuthentications=gssapi-with-mic",
            ], environment: [cache])
        #expect(gssapi.status == 0, "\(gssapi.stderr)\nsshd said: \(sshd.output.suffix(3000))")
        #expect(gssapi.stdout.contains("(\(lab.loginGroup.lowercased()))"))
        #expect(sshd.output.contains("Accepted gssapi-with-mic for \(lab.memberUser)"))

        timeouts.remove()
        let left = try sandbox.run(
            Lab.agentBinary.path, ["leave", "--user", lab.joinUser, "--password-stdin"],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(left.status == 0, "\(left.stderr)")
        #expect(left.stderr.contains("Reloaded sshd (SIGHUP to pid \(sshdPID))"), "\(left.stderr)")
        try sshd.waitUntilListening(times: 3)
        #expect(try sshFiles(sandbox) == before)
        let afterLeave = try ssh(sandbox, lab.memberUser, host, byPassword("password,keyboard-interactive"), password: alicePassword)
        #expect(afterLeave.status != 0)
        #expect(afterLeave.stderr.contains("Permission denied (publickey)"), "\(afterLeave.stderr)")
        #expect(try ssh(sandbox, "carol", host, byKey).stdout.contains("uid="))
    }
}

extension SSHHostLoginIntegrationTests {
    /// The directory's keys: with --ssh-public-key-attribute, a member whose public key is in her directory
    /// entry gets in by that key (sssd's sss_ssh_authorizedkeys, as sshd's AuthorizedKeysCommand); a
    /// non-member with a key in his entry is still refused, as the image's rules say.
    @Test func membersLogInWithTheKeysTheDirectoryHolds() throws {
        let sandbox = try EtcSandbox(lab: lab)
        defer { sandbox.remove() }
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let cloudInit = sandbox.file("/etc/ssh/sshd_config.d/50-cloud-init.conf")
        try Data("PasswordAuthentication no\nKbdInteractiveAuthentication no\n".utf8).write(to: cloudInit)
        let hosts = try FileHandle(forWritingTo: sandbox.file("/etc/hosts"))
        try hosts.seekToEnd()
        try hosts.write(contentsOf: Data("\(Self.address) \(host.fqdn) \(host.name.lowercased())\n".utf8))
        try hosts.close()

        // Each user's key pair; the public halves go into their directory entries, as an administrator puts them.
        var keys: [String: URL] = [:]
        for user in [lab.memberUser, lab.nonmemberUser] {
            let key = sandbox.directory.appendingPathComponent("\(user)_key")
            #expect(
                try sandbox.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "\(user)@directory", "-f", key.path]).status
                    == 0)
            try setAttribute(
                "altSecurityIdentities", of: user, to: try String(contentsOf: key.appendingPathExtension("pub"), encoding: .utf8))
            keys[user] = key
        }
        defer { for user in [lab.memberUser, lab.nonmemberUser] { try? setAttribute("altSecurityIdentities", of: user, to: nil) } }

        let joined = try sandbox.run(
            Lab.agentBinary.path,
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin",
                "--ou", lab.organizationalUnit, "--host-fqdn", host.fqdn,
                "--allow-group", lab.loginGroup, "--ssh-public-key-attribute", "altSecurityIdentities",
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(joined.status == 0, "\(joined.stderr)")
        let dropIn = (try? sandbox.text("/etc/ssh/sshd_config.d/10-adjoin.conf")) ?? ""
        #expect(dropIn.contains("\tAuthorizedKeysCommand /usr/bin/sss_ssh_authorizedkeys\n"), "\(dropIn)")
        let sshd = try SandboxedSSHD(sandbox, hostName: host.fqdn, listen: "\(Self.address):\(Self.port)")
        defer { sshd.stop() }
        try sshd.waitUntilListening(times: 1)
        let timeouts = try SSSDTestTimeouts(in: sandbox.file("/etc/sssd/conf.d"), domain: lab.domain)
        defer { timeouts.remove() }
        let sssd = try SandboxedSSSD(sandbox)
        defer { sssd.stop() }
        #expect(try resolveUser(lab.memberUser, in: sandbox).hasPrefix("\(lab.memberUser):*:"), "sssd said: \(sssd.output.suffix(3000))")

        func byKey(_ user: String) throws -> CommandResult {
            try ssh(
                sandbox, user, host,
                [
                    "-o", "PreferredAuthentications=publickey", "-o", "IdentitiesOnly=yes", "-i", keys[user]!.path,
                    "-o", "BatchMode=yes",
                ])
        }
        let alice = try byKey(lab.memberUser)
        #expect(alice.status == 0, "\(alice.stderr)\nsshd said: \(sshd.output.suffix(3000))\nsssd said: \(sssd.output.suffix(3000))")
        #expect(alice.stdout.contains("(\(lab.loginGroup.lowercased()))"), "\(alice.stdout)")
        #expect(sshd.output.contains("Accepted publickey for \(lab.memberUser)"))
        let bob = try byKey(lab.nonmemberUser)
        #expect(bob.status != 0)
        #expect(bob.stderr.contains("Permission denied (publickey)"), "\(bob.stderr)")
    }

    /// Replaces (nil: deletes) a user's attribute as the administrator.
    func setAttribute(_ attribute: String, of user: String, to value: String?) throws {
        let found = try admin.tool("ldapsearch", ["-LLL", "-o", "ldif-wrap=no", "-b", lab.baseDN, "(sAMAccountName=\(user))", "dn"])
        let dn = try #require(
            found.stdout.split(separator: "\n").first { $0.hasPrefix("dn: ") }.map { String($0.dropFirst(4)) }, "\(found.stderr)")
        let ldif = FileManager.default.temporaryDirectory.appendingPathComponent("attribute-\(UUID().uuidString).ldif")
        defer { try? FileManager.default.removeItem(at: ldif) }
        let change =
            value.map { "replace: \(attribute)\n\(attribute): \($0.trimmingCharacters(in: .whitespacesAndNewlines))" }
            ?? "replace: \(attribute)"
        try Data("dn: \(dn)\nchangetype: modify\n\(change)\n\n".utf8).write(to: ldif)
        let modified = try admin.tool("ldapmodify", ["-f", ldif.path])
        #expect(modified.status == 0, "\(modified.stderr)")
    }

    /// `--dry-run` shows the drop-in as a diff and the check and reload that would follow;
    /// `--no-configure-ssh` leaves sshd out of the plan. Neither writes anything.
    @Test func dryRunShowsTheDropInAndTheFlagTurnsItOff() throws {
        let sandbox = try EtcSandbox(lab: lab)
        defer { sandbox.remove() }
        let host = try TestHost(domain: lab.domain)
        let arguments = [
            "join", "--domain", lab.domain, "--user", lab.joinUser, "--ou", lab.organizationalUnit,
            "--host-fqdn", host.fqdn, "--allow-group", "Linux Admins", "--dry-run",
        ]
        let dryRun = try sandbox.run(Lab.agentBinary.path, arguments)
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("+++ /etc/ssh/sshd_config.d/10-adjoin.conf\n"), "\(dryRun.stdout)")
        #expect(dryRun.stdout.contains("\n+Match Group \"linux admins\"\n"))
        #expect(
            dryRun.stdout.contains(
                "would check /etc/ssh/sshd_config.d/10-adjoin.conf with sshd -t, then run: kill -HUP $(cat /run/sshd.pid), if sshd runs\n"))
        let off = try sandbox.run(Lab.agentBinary.path, arguments + ["--no-configure-ssh"])
        #expect(off.status == 0, "\(off.stderr)")
        #expect(off.stdout.contains("+++ /etc/sssd/sssd.conf\n"))
        #expect(!off.stdout.contains("/etc/ssh/"), "\(off.stdout)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.file("/etc/ssh/sshd_config.d/10-adjoin.conf").path))
    }
}

/// The real sshd inside a sandbox, in a UTS namespace of its own whose host name is the joined host's
/// (GSSAPI's acceptor check compares the ticket's service name with it), stopped when the test ends.
/// sshd goes to the background itself and logs to a file (-E): as a child of Foundation's Process it
/// would hang the test, because sshd closes every descriptor it inherits, Process's monitoring socket
/// among them, and Process then waits for it to exit.
final class SandboxedSSHD {
    let log: URL
    let pidFile: URL

    init(_ sandbox: EtcSandbox, hostName: String, listen: String) throws {
        log = sandbox.directory.appendingPathComponent("sshd.out")
        pidFile = sandbox.file("/run/sshd.pid")
        let started = try sandbox.run(
            "/usr/bin/unshare",
            [
                "-u", "/bin/sh", "-c",
                "hostname \"$1\" && mkdir -p /run/sshd && exec /usr/sbin/sshd -E \"$2\" -o ListenAddress=\"$3\"",
                "sshd", hostName, log.path, listen,
            ])
        try #require(started.status == 0, "sshd did not start: \(started.stderr)")
    }

    /// The daemon's pid, as sshd wrote it into the sandbox's /run/sshd.pid (adjoin signals that one).
    var pid: Int32 {
        Int32(((try? String(contentsOf: pidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// sshd has started listening this many times (once, then once more after each SIGHUP); bounded, not a fixed sleep.
    func waitUntilListening(times: Int) throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            // sshd logs that it listens before it writes its pid file: both, or a loaded machine reads no pid.
            if output.components(separatedBy: "Server listening on").count - 1 >= times, pid > 0 { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        Issue.record("sshd did not listen \(times) times: \(output)")
    }

    func stop() {
        let pid = self.pid
        if pid > 0 { kill(pid, SIGTERM) }
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
}
