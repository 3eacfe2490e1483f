import AdjoinCore
import Foundation
import Testing

/// Host configuration under --root (an image being built): the distro tools cannot run there, so the
/// PAM files are edited directly; and every refusal happens before the directory is touched.
@Suite(.needsLab) struct HostConfigurationIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    /// A never-joined /etc under a directory, with sssd "installed" (only its path matters here).
    func imageRoot() throws -> EtcSandbox {
        let sandbox = try EtcSandbox(lab: lab)
        let sssd = sandbox.file("/usr/sbin/sssd")
        try FileManager.default.createDirectory(at: sssd.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: sssd.path, contents: Data(), attributes: [.posixPermissions: 0o755])
        return sandbox
    }

    func join(root: URL, _ host: TestHost, _ extra: [String]) throws -> CommandResult {
        try runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
                "--host-fqdn", host.fqdn, "--root", root.path, "--domain-controller", lab.dcIP,
            ] + extra,
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
    }

    @Test func imageUnderRootGetsEditedPAMAndAValidatedSudoersDropIn() throws {
        let root = try imageRoot()
        defer { root.remove() }
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let result = try join(
            root: root.directory, host, ["--allow-group", lab.loginGroup, "--sudo-group", "Domain Admins", "--configure-dns"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("edited the PAM stack files directly"))
        #expect(
            result.stderr.contains("nothing is restarted under \(root.directory.path): sssd starts with that system"), "\(result.stderr)")
        #expect(!result.stderr.contains("without a syntax check"), "visudo must be installed for this test (scripts/test installs sudo)")

        let auth = try root.text("/etc/pam.d/common-auth")
        #expect(auth.contains("auth\t[success=2 default=ignore]\tpam_unix.so nullok\n"))
        #expect(auth.contains("auth\t[success=1 default=ignore]\tpam_sss.so use_first_pass\nauth\trequisite\t\t\tpam_deny.so\n"))
        #expect(try root.text("/etc/pam.d/common-account").contains("pam_sss.so"))
        #expect(try root.text("/etc/pam.d/common-session").contains("pam_mkhomedir.so"))
        #expect(try root.text("/etc/sudoers.d/adjoin").contains("\n%Domain\\ Admins ALL=(ALL:ALL) ALL\n"))
        #expect(try root.mode("/etc/sudoers.d/adjoin") == 0o440)
        #expect(try root.mode("/etc/sssd/sssd.conf") == 0o600)
        #expect(try root.text("/etc/sssd/sssd.conf").contains("\nad_server = \(lab.dcHost), \(lab.dcIP), _srv_\n") == false)
        #expect(try root.text("/etc/krb5.conf").contains("kdc = \(lab.dcHost)\n"))
        #expect(FileManager.default.fileExists(atPath: root.file("/etc/krb5.keytab").path))
        #expect(
            try root.text("/etc/systemd/resolved.conf.d/adjoin.conf") == """
                # Written by adjoin: names in \(lab.domain) are resolved by its domain controllers.
                [Resolve]
                DNS=\(lab.dcIP)
                Domains=~\(lab.domain)

                """)
        // The machine's own files were not touched.
        #expect(!FileManager.default.fileExists(atPath: "/etc/sudoers.d/adjoin"))
        #expect(!((try? String(contentsOfFile: "/etc/sssd/sssd.conf", encoding: .utf8)) ?? "").contains(host.fqdn))

        // A rerun finds everything in place: it edits nothing, and says nothing of editing.
        let rerun = try join(
            root: root.directory, host, ["--allow-group", lab.loginGroup, "--sudo-group", "Domain Admins", "--configure-dns"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(!rerun.stderr.contains("edited the PAM stack files directly"), "\(rerun.stderr)")
        #expect(try root.text("/etc/pam.d/common-auth") == auth)
    }

    @Test(arguments: ["admins\n[domain/evil]\nid_provider = permit", "admins,everyone", "%wheel ALL=(ALL) NOPASSWD: ALL", ""])
    func hostileGroupNamesAreRefusedBeforeAnything(group: String) throws {
        let root = try imageRoot()
        defer { root.remove() }
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let result = try join(root: root.directory, host, ["--allow-group", lab.loginGroup, "--sudo-group", group])
        #expect(result.status == Status.invalidInput.exitCode, "\(result.stderr)")
        #expect(result.stderr.contains("INVALID_INPUT: group name"))
        #expect(try admin.count(host.name + "$") == 0)
        #expect(!FileManager.default.fileExists(atPath: root.file("/etc/sssd/sssd.conf").path))
        #expect(!FileManager.default.fileExists(atPath: root.file("/etc/krb5.keytab").path))
    }

    @Test func aHostWithoutSSSDIsRefusedBeforeTheDirectoryIsTouched() throws {
        let root = try EtcSandbox(lab: lab)
        defer { root.remove() }
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let result = try join(root: root.directory, host, ["--allow-group", lab.loginGroup])
        #expect(result.status == Status.configurationFailed.exitCode, "\(result.stderr)")
        #expect(result.stderr.contains("CONFIGURATION_FAILED: sssd is not installed"))
        #expect(try admin.count(host.name + "$") == 0)
        #expect(!FileManager.default.fileExists(atPath: root.file("/etc/krb5.keytab").path))
        #expect(!FileManager.default.fileExists(atPath: root.file("/var/lib/adjoin").path + "/backup"))
    }

    @Test func noConfigureWithHostFlagsIsAUsageError() throws {
        let result = try runAgent([
            "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--no-configure",
            "--allow-group", lab.loginGroup,
        ])
        #expect(result.status == 64)
        #expect(result.stderr.contains("cannot go with --no-configure"))
    }
}
