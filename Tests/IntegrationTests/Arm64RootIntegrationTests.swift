import Foundation
import Testing

/// The arm64 (Graviton) package as users run it. An arm64 Debian 13 root, whose programs run under qemu's user-mode
/// emulation through binfmt_misc (scripts/test-arm64 builds it once with sssd, NSS and PAM from Debian's arm64
/// packages and names it in ADJOIN_ROOT_TRIXIE_ARM64): apt installs the arm64 .deb (ADJOIN_DEB_ARM64) in a copy;
/// the binary it installed, with the root's own libkrb5, libldap and libcurl, joins the lab DC from inside the
/// root; `status` is HEALTHY; a member of the login group logs in through the root's own sssd and PAM; and `leave`
/// removes the account and puts the root's files back as the package found them.
@Suite(
    .serialized, .needsLab,
    .enabled(
        if: RootSandbox.cached("ADJOIN_ROOT_TRIXIE_ARM64") != nil
            && RootSandbox.cached("ADJOIN_DEB_ARM64") != nil,
        "scripts/test-arm64 names the arm64 root and the arm64 package"))
struct Arm64RootIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    /// What leave must put back as the join found it.
    static let restoredState = ["/etc", "/var/lib/pam"]

    @Test func theArm64PackageInstallsJoinsLogsAMemberInAndLeaves() throws {
        let root = try RootSandbox(copying: try #require(RootSandbox.cached("ADJOIN_ROOT_TRIXIE_ARM64")), lab: lab)
        defer { root.remove() }
        #expect(try root.run("/usr/bin/dpkg", ["--print-architecture"]).stdout == "arm64\n")

        let deb = try #require(RootSandbox.cached("ADJOIN_DEB_ARM64"))
        try FileManager.default.copyItem(atPath: deb, toPath: root.file("/tmp/adjoin_arm64.deb").path)
        let install = try root.run(
            "/usr/bin/env",
            [
                "DEBIAN_FRONTEND=noninteractive", "/usr/bin/apt-get", "install", "-y", "-q",
                "--no-install-recommends", "/tmp/adjoin_arm64.deb",
            ])
        try #require(install.status == 0, "apt-get install: \(install.stdout)\(install.stderr)")
        try FileManager.default.removeItem(at: root.file("/tmp/adjoin_arm64.deb"))
        // The installed binary is an aarch64 ELF (e_machine 183), run by the root's own arm64 loader.
        let binary = try Data(contentsOf: root.file("/usr/sbin/adjoin"))
        #expect(binary.count > 20 && binary[18] == 183 && binary[19] == 0)
        let version = try root.run("/usr/sbin/adjoin", ["--version"])
        #expect(version.status == 0 && !version.stdout.isEmpty, "\(version.stderr)")

        // A booted system has a machine-id (systemd writes it at the first boot); this root never booted, and the
        // join records the id as the account's owner.
        let machineID = (0..<4).map { _ in String(format: "%08x", UInt32.random(in: 0...UInt32.max)) }.joined()
        try Data((machineID + "\n").utf8).write(to: root.file("/etc/machine-id"))

        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let before = try root.snapshot(Self.restoredState)

        let joined = try root.run(
            "/usr/sbin/adjoin",
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin",
                "--ou", lab.organizationalUnit, "--host-fqdn", host.fqdn,
                "--allow-group", lab.loginGroup, "--output", "json",
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        try #require(joined.status == 0, "\(joined.stdout)\(joined.stderr)")
        #expect(joined.stdout.contains("\"status\": \"JOINED\""))
        #expect(try admin.computer(host.name + "$") != nil, "no computer account after the join")
        #expect(try root.text("/etc/pam.d/common-auth").contains("pam_sss.so"))

        try logIn(root)

        let left = try root.run("/usr/sbin/adjoin", ["leave"])
        #expect(left.status == 0, "\(left.stdout)\(left.stderr)")
        #expect(try admin.computer(host.name + "$") == nil, "the account is still there after leave")
        #expect(try root.snapshot(Self.restoredState) == before)
    }

    /// With the root's sssd running: `status` is HEALTHY, the member resolves and logs in, the non-member
    /// authenticates but is refused at account management, a wrong password is refused.
    private func logIn(_ root: RootSandbox) throws {
        let check = try root.run("/usr/sbin/sssctl", ["config-check"])
        #expect(check.status == 0 && check.stdout.contains("Issues identified by validators: 0"), "\(check.stdout)\(check.stderr)")
        let timeouts = try SSSDTestTimeouts(in: root.file("/etc/sssd/conf.d"), domain: lab.domain)
        defer { timeouts.remove() }
        let sssd = try RootDaemon.sssd(root)
        defer { sssd.stop() }
        let passwd = try resolveUser(lab.memberUser, in: root)
        #expect(passwd.hasPrefix("\(lab.memberUser):*:"), "sssd said: \(sssd.output.suffix(3000))")

        let status = try root.run("/usr/sbin/adjoin", ["status", "--output", "json"])
        #expect(status.status == 0, "\(status.stdout)\(status.stderr)")
        #expect(status.stdout.contains("\"status\": \"HEALTHY\""), "\(status.stdout)")

        try expectOnlyTheMemberLogsIn(lab, in: root, session: true, sssd: sssd.output)
    }
}
