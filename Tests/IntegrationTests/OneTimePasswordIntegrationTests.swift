import AdjoinCore
import Foundation
import Testing

/// `adjoin preset` and `adjoin join --one-time-password-stdin` against the lab's DC: the host joins with
/// no domain credential, the one-time password stops working once used, and adcli (Debian's) works with
/// either half.
@Suite(.serialized, .needsLab) struct OneTimePasswordIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    /// `adjoin preset` as `user`, the one-time password written to `file`.
    func preset(
        _ host: TestHost, file: URL, user: String? = nil, passwordFile: String? = nil, ou: String? = nil,
        extra: [String] = []
    ) throws -> CommandResult {
        try runAgent(
            [
                "preset", "--domain", lab.domain, "--user", user ?? lab.joinUser, "--password-stdin",
                "--host-fqdn", host.fqdn, "--ou", ou ?? lab.organizationalUnit, "--one-time-password-file", file.path,
                "--domain-controller", lab.dcIP, "--output", "json",
            ] + extra,
            stdin: URL(fileURLWithPath: passwordFile ?? lab.joinPasswordFile))
    }

    /// The instance side: the one-time password on standard input, no join user.
    func join(_ host: TestHost, oneTimePassword file: URL, root: URL? = nil, extra: [String] = []) throws -> CommandResult {
        try runAgent(
            [
                "join", "--one-time-password-stdin", "--domain", lab.domain, "--host-fqdn", host.fqdn,
                "--root", (root ?? host.root).path, "--no-configure", "--domain-controller", lab.dcIP, "--output", "json",
            ] + extra,
            stdin: file)
    }

    /// MIT's kinit as the computer with a password (not a keytab): whether the one-time password still logs in.
    func kinit(_ host: TestHost, password file: URL) throws -> CommandResult {
        try run(
            URL(fileURLWithPath: "/usr/bin/kinit"), ["\(host.name)$@\(lab.realm)"], stdin: file,
            environment: ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "MEMORY:onetime"])
    }

    func machineID(_ root: URL) throws {
        try FileManager.default.createDirectory(at: root.appendingPathComponent("etc"), withIntermediateDirectories: true)
        try Data("0123456789abcdef0123456789abcdef\n".utf8).write(to: root.appendingPathComponent("etc/machine-id"))
    }

    @Test func presetThenJoinWithTheOneTimePasswordThenLeaveAsTheMachine() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        try machineID(host.root)
        let file = host.root.appendingPathComponent("one-time-password")

        let preset = try preset(host, file: file)
        #expect(preset.status == 0, "\(preset.stdout)\(preset.stderr)")
        #expect(preset.stdout.contains("\"status\": \"PRESET\""))
        let attributes = try #require(try admin.computer(host.name + "$"))
        #expect(attributes["useraccountcontrol"] == ["4096"])
        #expect(attributes["dnshostname"] == [host.fqdn])
        #expect(
            Set(attributes["serviceprincipalname"] ?? []) == [
                "host/\(host.name)", "host/\(host.fqdn)", "RestrictedKrbHost/\(host.name)", "RestrictedKrbHost/\(host.fqdn)",
            ])
        #expect(attributes["info"] == nil, "no --owner: no marker")
        // The one-time password: in a new 0600 file, nowhere in what the command printed.
        let oneTime = try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(oneTime.count == 120)
        #expect((try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int) == 0o600)
        #expect(!(preset.stdout + preset.stderr).contains(oneTime))
        #expect(try kinit(host, password: file).status == 0, "the one-time password logs in before the join")

        // A dry run reads no password and says what the join would do.
        let dry = try runAgent([
            "join", "--one-time-password-stdin", "--domain", lab.domain, "--host-fqdn", host.fqdn, "--root", host.root.path,
            "--no-configure", "--domain-controller", lab.dcIP, "--dry-run",
        ])
        #expect(dry.status == 0, "\(dry.stdout)\(dry.stderr)")
        #expect(dry.stdout.contains("would join the preset account \(host.name)$ as itself with its one-time password"), "\(dry.stdout)")

        let joined = try join(host, oneTimePassword: file)
        #expect(joined.status == 0, "\(joined.stdout)\(joined.stderr)")
        #expect(joined.stdout.contains("\"status\": \"JOINED\""))
        #expect(!(joined.stdout + joined.stderr).contains(oneTime))
        #expect(try kinitAsMachine(host, lab).status == 0, "MIT kinit -k with the keytab the join wrote")
        let used = try kinit(host, password: file)
        #expect(used.status != 0, "the one-time password still logs in after the join")
        #expect(used.stderr.contains("Password incorrect"), "\(used.stderr)")
        let record = try String(contentsOf: host.root.appendingPathComponent("var/lib/adjoin/joined"), encoding: .utf8)
        #expect(record.contains(host.name))

        // Used once, it joins nothing again: ACCESS_DENIED, saying what to do.
        let again = host.root.appendingPathComponent("second")
        try machineID(again)
        let reused = try join(host, oneTimePassword: file, root: again)
        #expect(reused.status == 10, "\(reused.stdout)\(reused.stderr)")
        #expect(reused.stdout.contains("ACCESS_DENIED") || reused.stderr.contains("ACCESS_DENIED"))
        #expect((reused.stdout + reused.stderr).contains("preset the account again"))
        #expect(!FileManager.default.fileExists(atPath: again.appendingPathComponent("etc/krb5.keytab").path))

        let status = try runAgent(["status", "--root", host.root.path, "--domain-controller", lab.dcIP])
        #expect(status.status == 0, "\(status.stdout)\(status.stderr)")
        #expect(status.stdout.contains("HEALTHY"))
        // The preset let the machine delete its own account: leave needs no join user.
        let leave = try runAgent(["leave", "--root", host.root.path, "--domain-controller", lab.dcIP])
        #expect(leave.status == 0, "\(leave.stdout)\(leave.stderr)")
        #expect(try admin.count(host.name + "$") == 0)
    }

    @Test func theMinimalJoinUserPresetsAndAnotherOwnersAccountIsNeverTaken() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        try machineID(host.root)
        let file = host.root.appendingPathComponent("one-time-password")
        let preset = try preset(
            host, file: file, user: lab.minimalUser, passwordFile: lab.minimalPasswordFile,
            ou: lab.minimalOrganizationalUnit, extra: ["--owner", "i-0123456789abcdef0"])
        #expect(preset.status == 0, "\(preset.stdout)\(preset.stderr)")
        #expect(
            preset.stdout.contains("\"warnings\": []"), "the minimal rights are enough, the self-deletion grant included: \(preset.stdout)")
        let before = try #require(try admin.computer(host.name + "$"))
        #expect(before["info"] == ["adjoin-owner: i-0123456789abcdef0"])

        // A path that exists already is refused before the directory is touched (no reset of the account).
        let existing = try self.preset(
            host, file: file, user: lab.minimalUser, passwordFile: lab.minimalPasswordFile,
            ou: lab.minimalOrganizationalUnit, extra: ["--owner", "i-0123456789abcdef0"])
        #expect(existing.status == 15, "\(existing.stdout)\(existing.stderr)")
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == before["msds-keyversionnumber"])

        // Another owner may not reset it, nor join it: refused before anything changes.
        let other = host.root.appendingPathComponent("other-password")
        let taken = try self.preset(
            host, file: other, user: lab.minimalUser, passwordFile: lab.minimalPasswordFile,
            ou: lab.minimalOrganizationalUnit, extra: ["--owner", "i-0fedcba9876543210"])
        #expect(taken.status == 16, "\(taken.stdout)\(taken.stderr)")
        #expect(!FileManager.default.fileExists(atPath: other.path), "a refused preset leaves no password file")
        let stranger = try join(host, oneTimePassword: file, extra: ["--owner", "i-0fedcba9876543210"])
        #expect(stranger.status == 16, "\(stranger.stdout)\(stranger.stderr)")
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == before["msds-keyversionnumber"])
        #expect(try kinit(host, password: file).status == 0, "a refused join leaves the one-time password usable")

        // A wrong one-time password: ACCESS_DENIED, nothing written.
        let wrong = host.root.appendingPathComponent("wrong")
        try Data("not-the-one-time-password".utf8).write(to: wrong)
        let denied = try join(host, oneTimePassword: wrong, extra: ["--owner", "i-0123456789abcdef0"])
        #expect(denied.status == 10, "\(denied.stdout)\(denied.stderr)")
        #expect(!FileManager.default.fileExists(atPath: host.keytab.path))

        let joined = try join(host, oneTimePassword: file, extra: ["--owner", "i-0123456789abcdef0"])
        #expect(joined.status == 0, "\(joined.stdout)\(joined.stderr)")
        #expect(try kinitAsMachine(host, lab).status == 0)
        // The owner's own preset resets the account: the host's keys stop working, a new one-time password does.
        let renewed = host.root.appendingPathComponent("renewed")
        let reset = try self.preset(
            host, file: renewed, user: lab.minimalUser, passwordFile: lab.minimalPasswordFile,
            ou: lab.minimalOrganizationalUnit, extra: ["--owner", "i-0123456789abcdef0"])
        #expect(reset.status == 0, "\(reset.stdout)\(reset.stderr)")
        #expect(reset.stdout.contains("\"account\": \"reset\""))
        #expect(try kinit(host, password: renewed).status == 0)
        #expect(try kinit(host, password: file).status != 0)
    }

    /// The instance side configures the host as any join does: a member of the group logs in with
    /// real sssd and PAM, with no join user ever on the host.
    @Test func aConfiguredOneTimePasswordJoinLetsTheGroupLogIn() throws {
        let sandbox = try EtcSandbox(lab: lab)
        defer { sandbox.remove() }
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let file = host.root.appendingPathComponent("one-time-password")
        let preset = try preset(host, file: file)
        #expect(preset.status == 0, "\(preset.stdout)\(preset.stderr)")

        let joined = try sandbox.run(
            Lab.agentBinary.path,
            [
                "join", "--one-time-password-stdin", "--domain", lab.domain, "--host-fqdn", host.fqdn,
                "--allow-group", lab.loginGroup, "--output", "json",
            ], stdin: file)
        #expect(joined.status == 0, "\(joined.stdout)\(joined.stderr)")
        #expect(joined.stdout.contains("\"status\": \"JOINED\""))
        #expect(try sandbox.text("/etc/pam.d/common-auth").contains("pam_sss.so"))
        let oneTime = try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .newlines)
        for path in ["/etc/krb5.conf", "/etc/sssd/sssd.conf", "/etc/krb5.keytab", "/var/lib/adjoin/joined"] {
            let bytes = try Data(contentsOf: sandbox.file(path))
            #expect(bytes.range(of: Data(oneTime.utf8)) == nil, "\(path) holds the one-time password")
        }

        _ = try SSSDTestTimeouts(in: sandbox.file("/etc/sssd/conf.d"), domain: lab.domain)
        let sssd = try SandboxedSSSD(sandbox)
        defer { sssd.stop() }
        let passwd = try resolveUser(lab.memberUser, in: sandbox)
        #expect(passwd.hasPrefix("\(lab.memberUser):*:"), "sssd said: \(sssd.output.suffix(4000))")
        try expectOnlyTheMemberLogsIn(lab, in: sandbox, sssd: sssd.output)
    }

    /// An account pre-staged by hand as ADUC does it (userAccountControl 4128: "password not required"),
    /// its password set by the administrator: the machine may not change its userAccountControl, and the
    /// join goes on with a warning.
    @Test func aHandPrestagedAccountJoinsWithAWarningAboutItsFlags() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        try machineID(host.root)
        let dn = "CN=\(host.name),\(lab.organizationalUnit)"
        let throwaway = "Hand-Set-\(UInt32.random(in: 0...UInt32.max))-aB1!"
        let quoted = Array("\"\(throwaway)\"".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let ldif = host.root.appendingPathComponent("prestage.ldif")
        try Data(
            """
            dn: \(dn)
            objectClass: computer
            sAMAccountName: \(host.name)$
            userAccountControl: 4128

            dn: \(dn)
            changetype: modify
            replace: unicodePwd
            unicodePwd:: \(Data(quoted).base64EncodedString())

            """.utf8
        ).write(to: ldif)
        let added = try admin.tool("ldapmodify", ["-a", "-f", ldif.path])
        #expect(added.status == 0, "\(added.stderr)")
        let file = host.root.appendingPathComponent("one-time-password")
        try Data(throwaway.utf8).write(to: file)
        let joined = try join(host, oneTimePassword: file)
        #expect(joined.status == 0, "\(joined.stdout)\(joined.stderr)")
        #expect(joined.stdout.contains("may not write userAccountControl"))
        #expect(try kinitAsMachine(host, lab).status == 0)
        #expect(try admin.computer(host.name + "$")?["dnshostname"] == [host.fqdn], "the machine wrote its dNSHostName itself")
    }

    @Test func adcliPresetsAndAdjoinJoins() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        try machineID(host.root)
        // adcli takes the one-time password only as an argument: a throwaway value, in this test alone.
        let throwaway = "Throwaway-\(UInt32.random(in: 0...UInt32.max))-aB1!"
        let preset = try run(
            URL(fileURLWithPath: "/usr/sbin/adcli"),
            [
                "preset-computer", "--domain=\(lab.domain)", "--domain-controller=\(lab.dcIP)", "--login-user=\(lab.joinUser)",
                "--stdin-password", "--domain-ou=\(lab.organizationalUnit)", "--one-time-password=\(throwaway)", host.fqdn,
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(preset.status == 0, "\(preset.stdout)\(preset.stderr)")
        let file = host.root.appendingPathComponent("one-time-password")
        try Data(throwaway.utf8).write(to: file)
        let joined = try join(host, oneTimePassword: file)
        #expect(joined.status == 0, "\(joined.stdout)\(joined.stderr)")
        #expect(try kinitAsMachine(host, lab).status == 0)
        #expect(try kinit(host, password: file).status != 0)
        // adcli's preset does not let the machine delete itself: the join says leave will need --user.
        #expect(joined.stdout.contains("adjoin leave will need --user"))
    }

    @Test func adjoinPresetsAndAdcliJoins() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let file = host.root.appendingPathComponent("one-time-password")
        let preset = try preset(host, file: file)
        #expect(preset.status == 0, "\(preset.stdout)\(preset.stderr)")
        let oneTime = try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .newlines)
        let keytab = host.root.appendingPathComponent("adcli.keytab")
        // adcli join takes it only as an argument too.
        let joined = try run(
            URL(fileURLWithPath: "/usr/sbin/adcli"),
            [
                "join", "--domain=\(lab.domain)", "--domain-controller=\(lab.dcIP)", "--one-time-password=\(oneTime)",
                "--host-fqdn=\(host.fqdn)", "--host-keytab=\(keytab.path)",
            ])
        #expect(joined.status == 0, "\(joined.stdout)\(joined.stderr)")
        let proof = try run(
            URL(fileURLWithPath: "/usr/bin/kinit"), ["-k", "-t", keytab.path, "\(host.name)$@\(lab.realm)"],
            environment: ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "MEMORY:machine"])
        #expect(proof.status == 0, "\(proof.stderr)")
    }
}
