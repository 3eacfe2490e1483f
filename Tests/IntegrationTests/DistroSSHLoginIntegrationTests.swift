import Foundation
import Testing

/// SSH after `join --root` into Debian 13 with its own OpenSSH 10, sssd 2.10 and PAM: the root's sshd
/// reads the drop-in (with a cloud image's `PasswordAuthentication no` beside it), the member gets in by
/// password and by Kerberos, the non-member is refused, and leave puts /etc/ssh back. scripts/test-distros
/// builds the root (trixie-ssh) and names it in ADJOIN_ROOT_TRIXIE_SSH.
@Suite(
    .serialized, .needsLab,
    .enabled(if: RootSandbox.cached("ADJOIN_ROOT_TRIXIE_SSH") != nil, "scripts/test-distros names the cached trixie-ssh root"))
struct DistroSSHLoginIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    /// sshd's address, 127.0.4.X for the lab DC's 127.0.0.X: each lab's runs keep to their own.
    static var address: String {
        "127.0.4." + (ProcessInfo.processInfo.environment["ADJOIN_LAB_DC_IP"]?.split(separator: ".").last.map(String.init) ?? "10")
    }

    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    /// The root's own ssh client, inside it.
    /// `password`: a file inside the root.
    func ssh(
        _ root: RootSandbox, _ user: String, _ host: TestHost, _ options: [String], password: String? = nil,
        environment: [String] = []
    ) throws -> CommandResult {
        let ssh =
            [
                "/usr/bin/ssh", "-p", "2222", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=30",
            ] + options + ["\(user)@\(host.fqdn)", "id"]
        return try root.run("/usr/bin/env", environment + (password.map { ["/usr/bin/sshpass", "-f", $0] } ?? []) + ssh)
    }

    @Test func openSSH10LetsTheMemberInByPasswordAndKerberos() throws {
        let root = try RootSandbox(copying: try #require(RootSandbox.cached("ADJOIN_ROOT_TRIXIE_SSH")), lab: lab)
        defer { root.remove() }
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        try Data("PasswordAuthentication no\nKbdInteractiveAuthentication no\n".utf8).write(
            to: root.file("/etc/ssh/sshd_config.d/50-cloud-init.conf"))
        let hosts = try FileHandle(forWritingTo: root.file("/etc/hosts"))
        try hosts.seekToEnd()
        try hosts.write(contentsOf: Data("\(Self.address) \(host.fqdn)\n".utf8))
        try hosts.close()
        let before = try root.snapshot(["/etc/ssh"])

        let joined = try runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
                "--host-fqdn", host.fqdn, "--root", root.directory.path, "--domain-controller", lab.dcIP,
                "--allow-group", lab.loginGroup,
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(joined.stderr.contains("Nothing is reloaded under \(root.directory.path)"), "\(joined.stderr)")
        #expect(
            (try? root.text("/etc/ssh/sshd_config.d/10-adjoin.conf"))?.contains("\nMatch Group \"\(lab.loginGroup.lowercased())\"\n")
                == true)
        // The root's own sshd accepts the whole configuration (this machine's checked the drop-in alone).
        let check = try root.run("/usr/sbin/sshd", ["-t"])
        #expect(check.status == 0 || check.stderr.contains("Missing privilege separation directory"), "\(check.stderr)")

        let timeouts = try SSSDTestTimeouts(in: root.file("/etc/sssd/conf.d"), domain: lab.domain)
        defer { timeouts.remove() }
        let sssd = try RootDaemon.sssd(root)
        defer { sssd.stop() }
        #expect(try resolveUser(lab.memberUser, in: root).hasPrefix("\(lab.memberUser):*:"), "sssd said: \(sssd.output.suffix(3000))")

        // The root's sshd, in a UTS namespace named as the host, in the background with its log in the root.
        let log = root.file("/var/log/adjoin-test-sshd.log")
        let started = try IntegrationTests.run(
            URL(fileURLWithPath: "/usr/bin/unshare"),
            [
                "-u", "/bin/sh", "-c",
                "hostname \"$1\" && exec \"$2\" run \"$3\" /bin/sh -c 'mkdir -p /run/sshd && exec /usr/sbin/sshd -E /var/log/adjoin-test-sshd.log -o ListenAddress=\(Self.address):2222'",
                "sshd", host.fqdn, RootSandbox.script.path, root.directory.path,
            ])
        try #require(started.status == 0, "sshd did not start: \(started.stderr)")
        defer {
            if let pid = Int32(((try? root.text("/run/sshd.pid")) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) {
                kill(pid, SIGTERM)
            }
        }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("Server listening on") {
            Thread.sleep(forTimeInterval: 0.1)
        }
        let sshdLog = { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        #expect(sshdLog().contains("Server listening on"), "\(sshdLog())")

        // sshpass reads its file inside the root.
        for (name, source) in [("alice", lab.memberPasswordFile), ("bob", lab.nonmemberPasswordFile)] {
            try FileManager.default.copyItem(at: URL(fileURLWithPath: source), to: root.file("/tmp/\(name).password"))
        }
        let alicePassword = URL(fileURLWithPath: lab.memberPasswordFile)
        for method in ["password", "keyboard-interactive"] {
            let alice = try ssh(
                root, lab.memberUser, host, ["-o", "PreferredAuthentications=\(method)", "-o", "PubkeyAuthentication=no"],
                password: "/tmp/alice.password")
            #expect(alice.status == 0, "\(method): \(alice.stderr)\nsshd said: \(sshdLog().suffix(3000))")
            #expect(alice.stdout.contains("(\(lab.loginGroup.lowercased()))"), "\(alice.stdout)")
        }
        let bob = try ssh(
            root, lab.nonmemberUser, host,
            ["-o", "PreferredAuthentications=password,keyboard-interactive", "-o", "PubkeyAuthentication=no"],
            password: "/tmp/bob.password")
        #expect(bob.status != 0)
        #expect(bob.stderr.contains("Permission denied (publickey)"), "\(bob.stderr)")

        let cache = "KRB5CCNAME=FILE:/tmp/alice.ccache"
        let kinit = try root.run("/usr/bin/env", [cache, "/usr/bin/kinit", lab.memberUser], stdin: alicePassword)
        #expect(kinit.status == 0, "\(kinit.stderr)")
        let gssapi = try ssh(
            root, lab.memberUser, host,
            [
                "-o", "BatchMode=yes", "-o", "GSSAPIAuthentication=yes",
                "-o", "PreferredAuthentications=gssapi-with-mic",
            ], environment: [cache])
        #expect(gssapi.status == 0, "\(gssapi.stderr)\nsshd said: \(sshdLog().suffix(3000))")
        #expect(gssapi.stdout.contains("(\(lab.loginGroup.lowercased()))"))

        timeouts.remove()
        let left = try runAgent(["leave", "--root", root.directory.path, "--domain-controller", lab.dcIP])
        #expect(left.status == 0, "\(left.stderr)")
        #expect(try root.snapshot(["/etc/ssh"]) == before)
    }
}
