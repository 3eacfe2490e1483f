import AdjoinCore
import Foundation
import Testing

/// The seed's acceptance test: on a host that was never joined, `adjoin join --allow-group` with DNS
/// discovery, then real sssd, NSS and PAM: a member of the group logs in, a non-member authenticates
/// but is refused at account management.
@Suite(.serialized, .needsLab) struct HostLoginIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    func join(_ sandbox: EtcSandbox, _ host: TestHost, extra: [String] = []) throws -> CommandResult {
        try sandbox.run(
            Lab.agentBinary.path,
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin",
                "--ou", lab.organizationalUnit, "--host-fqdn", host.fqdn,
                "--allow-group", lab.loginGroup, "--output", "json",
            ] + extra,
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
    }

    @Test func memberLogsInAndNonMemberIsRefusedAtAccessControl() throws {
        let sandbox = try EtcSandbox(lab: lab)
        defer { sandbox.remove() }
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        #expect(!(try sandbox.text("/etc/nsswitch.conf")).contains("sss"))

        let result = try join(sandbox, host)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\"status\": \"JOINED\""))
        // The join password is in no output and in no file the join wrote (the keytab holds keys, not it).
        let password = String(decoding: try lab.joinPassword(), as: UTF8.self)
        #expect(!(result.stdout + result.stderr).contains(password))
        for path in ["/etc/krb5.conf", "/etc/sssd/sssd.conf", "/etc/nsswitch.conf", "/etc/pam.d/common-auth", "/etc/krb5.keytab"] {
            let bytes = try Data(contentsOf: sandbox.file(path))
            #expect(bytes.range(of: Data(password.utf8)) == nil, "\(path) holds the join password")
        }
        #expect(try sandbox.mode("/etc/sssd/sssd.conf") == 0o600)
        #expect(try sandbox.mode("/etc/krb5.keytab") == 0o600)
        let nsswitch = try sandbox.text("/etc/nsswitch.conf")
        #expect(nsswitch.contains("\npasswd:         files systemd sss\n"))
        #expect(nsswitch.contains("\ngroup:          files systemd sss\n"))
        #expect(try sandbox.text("/etc/pam.d/common-auth").contains("pam_sss.so"))
        #expect(try sandbox.text("/etc/pam.d/common-session").contains("pam_mkhomedir.so"))
        #expect(try sandbox.text("/etc/krb5.conf").contains("default_realm = \(lab.realm)"))
        // What was there before is kept for leave; what was not is marked absent.
        #expect(FileManager.default.fileExists(atPath: sandbox.file("/var/lib/adjoin/backup/etc/nsswitch.conf").path))
        #expect(FileManager.default.fileExists(atPath: sandbox.file("/var/lib/adjoin/backup/etc/pam.d/common-auth").path))
        #expect(FileManager.default.fileExists(atPath: sandbox.file("/var/lib/adjoin/backup/etc/sssd/sssd.conf.absent").path))
        #expect(!(try sandbox.text("/var/lib/adjoin/backup/etc/pam.d/common-auth")).contains("pam_sss"))

        _ = try SSSDTestTimeouts(in: sandbox.file("/etc/sssd/conf.d"), domain: lab.domain)
        let sssd = try SandboxedSSSD(sandbox)
        defer { sssd.stop() }
        let passwd = try resolveUser(lab.memberUser, in: sandbox)
        #expect(passwd.hasPrefix("\(lab.memberUser):*:"), "sssd said: \(sssd.output)")
        #expect(passwd.hasSuffix(":/home/\(lab.memberUser):/bin/bash\n"))

        try expectOnlyTheMemberLogsIn(lab, in: sandbox, session: true, sssd: sssd.output)
        #expect(FileManager.default.fileExists(atPath: sandbox.file("/home/\(lab.memberUser)").path), "pam_mkhomedir made no home")
        // The other user's password is right: it is the access control that refuses them, not authentication.
        let nonmemberAuthenticates = try pamtester(lab.nonmemberUser, password: lab.nonmemberPasswordFile, ["authenticate"], in: sandbox)
        #expect(nonmemberAuthenticates.status == 0, "\(nonmemberAuthenticates.stderr)")
    }

    @Test func rerunChangesNothingAndDryRunShowsADiff() throws {
        let sandbox = try EtcSandbox(lab: lab)
        defer { sandbox.remove() }
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let first = try join(sandbox, host)
        #expect(first.status == 0, "\(first.stderr)")

        let before = try sandbox.snapshot()
        let second = try join(sandbox, host)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("\"configured\": []"))
        // The keytab still logs in, so its keys stay: nothing changes, the keytab included.
        #expect(try sandbox.snapshot() == before)

        let dryRun = try sandbox.run(
            Lab.agentBinary.path,
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--ou", lab.organizationalUnit,
                "--host-fqdn", host.fqdn, "--allow-group", lab.loginGroup,
                "--allow-group", "Domain Admins", "--dry-run",
            ])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("--- /etc/sssd/sssd.conf\n+++ /etc/sssd/sssd.conf\n"))
        #expect(
            dryRun.stdout.contains("\n-simple_allow_groups = \(lab.loginGroup)\n+simple_allow_groups = \(lab.loginGroup), Domain Admins\n"))
        #expect(!dryRun.stdout.contains("krb5.conf"))
        #expect(try sandbox.snapshot() == before)
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == ["1"])
    }
}
