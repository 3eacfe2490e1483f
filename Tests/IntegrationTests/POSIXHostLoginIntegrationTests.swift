import AdjoinCore
import Foundation
import Testing

/// `--posix-ids` on a directory that carries RFC 2307 attributes (the lab's users and groups have
/// uidNumber and gidNumber): real sssd gives alice her directory uid and groups and lets her log in; a
/// user without a uidNumber (the lab's minimal join user) is not known to the host at all.
@Suite(.serialized, .needsLab) struct POSIXHostLoginIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    /// A user's or group's number as the directory's administrator reads it.
    func number(_ attribute: String, of name: String) throws -> String {
        let result = try admin.tool("ldapsearch", ["-LLL", "-b", lab.baseDN, "(sAMAccountName=\(name))", attribute])
        return result.stdout.split(separator: "\n").first { $0.hasPrefix("\(attribute): ") }.map {
            String($0.dropFirst(attribute.count + 2))
        } ?? ""
    }

    @Test func theDirectorysIDsAreTheHostsAndAUserWithoutOneIsUnknown() throws {
        let uid = try number("uidNumber", of: lab.memberUser)
        let groupID = try number("gidNumber", of: lab.loginGroup)
        try #require(!uid.isEmpty && !groupID.isEmpty, "the lab's \(lab.memberUser) and \(lab.loginGroup) carry no POSIX attributes")
        #expect(try number("uidNumber", of: lab.minimalUser).isEmpty)

        let sandbox = try EtcSandbox(lab: lab)
        defer { sandbox.remove() }
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let joined = try sandbox.run(
            Lab.agentBinary.path,
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin",
                "--ou", lab.organizationalUnit, "--host-fqdn", host.fqdn, "--allow-group", lab.loginGroup,
                "--posix-ids", "--no-register-dns",
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(try sandbox.text("/etc/sssd/sssd.conf").contains("\nldap_id_mapping = false\n"))

        _ = try SSSDTestTimeouts(in: sandbox.file("/etc/sssd/conf.d"), domain: lab.domain)
        let sssd = try SandboxedSSSD(sandbox)
        defer { sssd.stop() }
        let passwd = try resolveUser(lab.memberUser, in: sandbox)
        #expect(passwd.hasPrefix("\(lab.memberUser):*:\(uid):"), "\(passwd)\nsssd said: \(sssd.output.suffix(3000))")
        let id = try sandbox.run("/usr/bin/id", [lab.memberUser], stdin: nil)
        #expect(id.stdout.contains("uid=\(uid)(") && id.stdout.contains("\(groupID)(\(lab.loginGroup))"), "\(id.stdout) \(id.stderr)")

        let member = try pamtester(lab.memberUser, password: lab.memberPasswordFile, in: sandbox)
        #expect(member.status == 0, "\(member.stdout)\(member.stderr)\nsssd said: \(sssd.output.suffix(3000))")

        // Without a uidNumber the user does not exist for this host: no passwd entry, and PAM refuses (pam_sss
        // answers "user unknown", which the stack passes to pam_deny), while the same password works in the directory.
        let unknown = try sandbox.run("/usr/bin/getent", ["passwd", lab.minimalUser], stdin: nil)
        #expect(unknown.status != 0, "\(unknown.stdout)")
        let refused = try pamtester(lab.minimalUser, password: lab.minimalPasswordFile, ["authenticate"], in: sandbox)
        #expect(refused.status != 0)
        #expect((refused.stdout + refused.stderr).contains("Authentication failure"), "\(refused.stdout)\(refused.stderr)")
        let directory = try run(
            URL(fileURLWithPath: "/usr/bin/kinit"), ["\(lab.minimalUser)@\(lab.realm)"],
            stdin: URL(fileURLWithPath: lab.minimalPasswordFile),
            environment: ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "MEMORY:posix"])
        #expect(directory.status == 0, "\(directory.stderr)")
    }
}
