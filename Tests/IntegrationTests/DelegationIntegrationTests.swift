import AdjoinCore
import Foundation
import Testing

/// The lifecycle under each way directory administrators delegate join rights: full control of computer
/// objects in an OU, Microsoft's documented minimal rights on an OU, and an account pre-staged by an
/// administrator with the minimal rights on it alone (scripts/lab's delegations), joined without --ou or
/// with --ou naming another container (the add sent with the account search is then refused, the name
/// being in use, and the join goes on with the account found).
@Suite(.needsLab) struct DelegationIntegrationTests {
    enum Delegation: String, CaseIterable, CustomTestStringConvertible {
        case fullControl, minimalRights, prestaged, prestagedJoinedWithOU
        var testDescription: String { rawValue }
        var prestaged: Bool { self == .prestaged || self == .prestagedJoinedWithOU }
    }

    let lab: Lab
    let admin: AdminDirectory
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    func user(_ delegation: Delegation) -> (name: String, passwordFile: String) {
        delegation == .fullControl ? (lab.joinUser, lab.joinPasswordFile) : (lab.minimalUser, lab.minimalPasswordFile)
    }

    /// A host to join under the delegation; a pre-staged account is made first. Returns its DN.
    func prepare(_ host: TestHost, _ delegation: Delegation) throws -> String {
        switch delegation {
        case .fullControl: "CN=\(host.name),\(lab.organizationalUnit)"
        case .minimalRights: "CN=\(host.name),\(lab.minimalOrganizationalUnit)"
        case .prestaged, .prestagedJoinedWithOU: try admin.prestageForMinimalUser(host.name)
        }
    }

    func join(_ host: TestHost, _ delegation: Delegation, owner: String? = nil) throws -> CommandResult {
        let (name, passwordFile) = user(delegation)
        var arguments = [
            "join", "--domain", lab.domain, "--user", name, "--password-stdin", "--host-fqdn", host.fqdn,
            "--root", host.root.path, "--domain-controller", lab.dcIP, "--no-configure", "--output", "json",
        ]
        if delegation != .prestaged {
            // A pre-staged account is in CN=Computers: --ou names the OU where the minimal user may create.
            arguments += ["--ou", delegation == .fullControl ? lab.organizationalUnit : lab.minimalOrganizationalUnit]
        }
        if let owner { arguments += ["--owner", owner] }
        return try runAgent(arguments, stdin: URL(fileURLWithPath: passwordFile))
    }

    func kvno(_ host: TestHost) throws -> String? {
        try admin.computer(host.name + "$")?["msds-keyversionnumber"]?.first
    }

    func kinit(_ host: TestHost) throws -> CommandResult {
        try run(
            URL(fileURLWithPath: "/usr/bin/kinit"), ["-k", "-t", host.keytab.path, "\(host.name)$@\(lab.realm)"],
            environment: ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "MEMORY:delegation"])
    }

    /// What a pre-staged account's join reports that it could not do (the minimal user may write neither
    /// the informational attributes nor the DACL of an object an administrator owns).
    func prestagedWarnings(_ host: TestHost, _ dn: String) -> [String] {
        let user = "\(lab.minimalUser)@\(lab.realm)"
        return [
            "\(user) may not write msDS-SupportedEncryptionTypes on \(dn) (needs Write msDS-SupportedEncryptionTypes): the domain's default encryption types apply to it",
            "\(user) may not write operatingSystem on \(dn) (needs Write operatingSystem): operatingSystem stays unset",
            "\(user) may not write operatingSystemVersion on \(dn) (needs Write operatingSystemVersion): operatingSystemVersion stays unset",
            "\(user) may not write info on \(dn) (needs Write info): the account has no owner marker (adjoin-owner in info), so another host could claim it",
            "\(user) may not change the permissions of \(dn) (needs Modify permissions): \(host.name)$ cannot delete its own account, so adjoin leave will need --user",
        ]
    }

    /// join, a rerun on the healthy host (no right used: the kvno stays), a rerun without the keytab (a
    /// reset), rotate as the machine, leave with the machine's keytab (with a join user where the
    /// machine may not delete its account).
    @Test(arguments: Delegation.allCases) func lifecycleOnTheHost(_ delegation: Delegation) throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let dn = try prepare(host, delegation)
        let warnings = delegation.prestaged ? prestagedWarnings(host, dn) : []

        let joined = try join(host, delegation)
        #expect(joined.status == 0, "\(joined.stdout) \(joined.stderr)")
        let first = try jsonObject(joined)
        #expect(first["computerDN"] as? String == dn)
        if delegation == .prestagedJoinedWithOU {
            // Samba refused the add in the OU (the name is in use) and the join took the account it found.
            #expect(
                joined.stderr.contains("Found the computer account \(dn): the add sent with the search changed nothing"), "\(joined.stderr)"
            )
        }
        #expect(first["warnings"] as? [String] == warnings)
        let firstKvno = try #require(try kvno(host))
        #expect((first["kvno"] as? Int).map(String.init) == firstKvno)
        #expect(try kinit(host).status == 0)
        let object = try #require(try admin.computer(host.name + "$"))
        #expect(object["useraccountcontrol"] == ["4096"])
        #expect(object["dnshostname"] == [host.fqdn])
        #expect(object["serviceprincipalname"]?.count == 4)
        #expect(object["info"] == (delegation.prestaged ? nil : ["adjoin-owner: " + (try ownerOf(host))]))

        // A rerun on a healthy host: the keytab still logs in, so nothing is reset and nothing written.
        let keytabBefore = try Data(contentsOf: host.keytab)
        let rerun = try join(host, delegation)
        #expect(rerun.status == 0, "\(rerun.stdout) \(rerun.stderr)")
        let second = try jsonObject(rerun)
        #expect(second["kvno"] as? Int == Int(firstKvno))
        #expect((second["message"] as? String)?.contains("keys kept") == true)
        #expect(second["warnings"] as? [String] == warnings)
        #expect(!rerun.stderr.contains("Updating userAccountControl") && !rerun.stderr.contains("unicodePwd"))
        #expect(try kvno(host) == firstKvno)
        #expect(try Data(contentsOf: host.keytab) == keytabBefore)

        // Without its keytab the host gets a new password, set with the join user's Reset password.
        try FileManager.default.removeItem(at: host.keytab)
        let reset = try join(host, delegation)
        #expect(reset.status == 0, "\(reset.stdout) \(reset.stderr)")
        let resetKvno = Int(firstKvno)! + 1
        #expect(try jsonObject(reset)["kvno"] as? Int == resetKvno)
        #expect(try kvno(host) == String(resetKvno))
        #expect(try kinit(host).status == 0)

        let rotated = try runAgent(["rotate", "--root", host.root.path, "--max-age", "0", "--output", "json"])
        #expect(rotated.status == 0, "\(rotated.stdout) \(rotated.stderr)")
        #expect(try jsonObject(rotated)["kvno"] as? Int == resetKvno + 1)
        #expect(try kinit(host).status == 0)

        let left = try runAgent(["leave", "--root", host.root.path, "--output", "json"])
        if delegation.prestaged {
            #expect(left.status == Status.insufficientPermissions.exitCode, "\(left.stdout)")
            #expect(
                (try jsonObject(left)["message"] as? String)?.contains(
                    "leave with a user who may delete it (adjoin leave --user NAME --password-stdin)") == true,
                "\(left.stdout)")
            #expect(try admin.count(host.name + "$") == 1)
            // The user who joined it may not delete it either, and is told why, not to use --user again.
            let byJoinUser = try runAgent(
                ["leave", "--root", host.root.path, "--user", lab.minimalUser, "--password-stdin", "--output", "json"],
                stdin: URL(fileURLWithPath: lab.minimalPasswordFile))
            #expect(byJoinUser.status == Status.insufficientPermissions.exitCode, "\(byJoinUser.stdout)")
            let refusal = try jsonObject(byJoinUser)["message"] as? String ?? ""
            #expect(refusal.contains("that user lacks Delete and Delete subtree on it") && !refusal.contains("--user NAME"), "\(refusal)")
            #expect(try admin.count(host.name + "$") == 1)
            // Its administrator removes it, from the host.
            let byAdmin = try runAgent(
                ["leave", "--root", host.root.path, "--user", "Administrator", "--password-stdin", "--output", "json"],
                stdin: URL(fileURLWithPath: lab.adminPasswordFile))
            #expect(byAdmin.status == 0, "\(byAdmin.stdout) \(byAdmin.stderr)")
        } else {
            #expect(left.status == 0, "\(left.stdout) \(left.stderr)")
            #expect(left.stderr.contains("with the keytab"))
        }
        #expect(try admin.count(host.name + "$") == 0)
        #expect(!FileManager.default.fileExists(atPath: host.keytab.path))
    }

    func ownerOf(_ host: TestHost) throws -> String {
        let record = try String(contentsOf: host.root.appendingPathComponent("var/lib/adjoin/joined"), encoding: .utf8)
        return try #require(record.split(separator: "\n").first { $0.hasPrefix("owner=") }.map { String($0.dropFirst(6)) })
    }

    /// From an admin host, by instance id and by name, with the delegation's join user (a pre-staged
    /// account's administrator for that one: the minimal user may not delete it). A pre-staged account
    /// whose owner marker could not be written is not found by instance id, and is left alone.
    @Test(arguments: Delegation.allCases) func remoteLeave(_ delegation: Delegation) throws {
        let byID = try TestHost(domain: lab.domain)
        let byName = try TestHost(domain: lab.domain)
        defer {
            try? admin.delete(byID.name + "$")
            try? admin.delete(byName.name + "$")
        }
        let id = "i-0" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        for host in [byID, byName] {
            _ = try prepare(host, delegation)
            let joined = try join(host, delegation, owner: host.name == byID.name ? id : nil)
            #expect(joined.status == 0, "\(joined.stdout) \(joined.stderr)")
        }
        let remover = delegation.prestaged ? ("Administrator", lab.adminPasswordFile) : user(delegation)
        func remote(_ extra: [String]) throws -> CommandResult {
            try runAgent(
                [
                    "leave", "--domain", lab.domain, "--user", remover.0, "--password-stdin", "--domain-controller", lab.dcIP,
                    "--output", "json",
                ] + extra, stdin: URL(fileURLWithPath: remover.1))
        }
        let first = try remote(["--instance-id", id])
        #expect(first.status == 0, "\(first.stdout) \(first.stderr)")
        // A pre-staged account carries no owner marker (the minimal rights cannot write one): by name it is
        // removed only when the operator says so.
        let unmarked = delegation.prestaged ? ["--allow-unmarked"] : []
        if delegation.prestaged {
            #expect(try jsonObject(first)["accountWasGone"] as? Bool == true)
            #expect(try admin.count(byID.name + "$") == 1)
            let refused = try remote(["--computer-name", byID.name])
            #expect(refused.status == Status.accountConflict.exitCode, "\(refused.stdout)")
            #expect(try admin.count(byID.name + "$") == 1)
            #expect(try remote(["--computer-name", byID.name] + unmarked).status == 0)
        }
        #expect(try admin.count(byID.name + "$") == 0)
        #expect(try admin.count(byName.name + "$") == 1)
        let second = try remote(["--computer-name", byName.name] + unmarked)
        #expect(second.status == 0, "\(second.stdout) \(second.stderr)")
        #expect(try admin.count(byName.name + "$") == 0)
    }

    /// A refused required write fails the join, naming the right in Active Directory's words and what to grant.
    @Test(arguments: [
        ("reset-password", "Reset password", "unicodePwd"),
        ("account-restrictions", "Read and write account restrictions", "userAccountControl"),
        ("dns-host-name", "Validated write to DNS host name", "dNSHostName"),
        ("spn", "Validated write to service principal name", "servicePrincipalName"),
    ])
    func aMissingRightIsNamed(_ withheld: String, _ right: String, _ attribute: String) throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let dn = try admin.prestageForMinimalUser(host.name, without: withheld)
        let staged = try #require(try admin.computer(host.name + "$"))
        let result = try join(host, .prestaged)
        #expect(result.status == Status.insufficientPermissions.exitCode, "\(result.stdout) \(result.stderr)")
        let message = try jsonObject(result)["message"] as? String ?? ""
        #expect(
            message.hasPrefix(
                """
                \(lab.minimalUser)@\(lab.realm) needs \(right) on \(dn) (to write \(attribute)); grant it on that computer object, \
                or on Computer objects in its OU (Delegation of Control Wizard)
                """), "\(result.stdout)")
        #expect(!FileManager.default.fileExists(atPath: host.keytab.path))
        // What went through while the join looked for the missing right was put back: the account is as
        // staged. Only dNSHostName, written before a refused SPN or password, stays: the validated write
        // sets the account's own name but cannot remove it, and the message says so.
        let after = try #require(try admin.computer(host.name + "$"))
        let hostNameStays = ["spn", "reset-password"].contains(withheld)
        for name in ["useraccountcontrol", "serviceprincipalname", "msds-keyversionnumber"] + (hostNameStays ? [] : ["dnshostname"]) {
            #expect(
                after[name].map(Set.init) == staged[name].map(Set.init), "\(name): staged \(staged[name] ?? []), now \(after[name] ?? [])")
        }
        if hostNameStays {
            #expect(after["dnshostname"] == [host.fqdn])
            #expect(message.contains("; written before the refusal and not put back: dNSHostName ("), "\(message)")
        } else {
            #expect(!message.contains("not put back"), "\(message)")
        }
    }

    /// The validated write accepts only the account's own name in the domain (CVE-2022-26923's rules):
    /// another host name is refused with the right granted, and the message says what the DC accepts.
    @Test func aHostNameThatIsNotTheAccountsOwnIsExplained() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let dn = try admin.prestageForMinimalUser(host.name)
        let result = try runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.minimalUser, "--password-stdin", "--host-fqdn", "other.\(lab.domain)",
                "--computer-name", host.name, "--root", host.root.path, "--domain-controller", lab.dcIP, "--no-configure",
                "--output", "json",
            ], stdin: URL(fileURLWithPath: lab.minimalPasswordFile))
        #expect(result.status == Status.insufficientPermissions.exitCode, "\(result.stdout) \(result.stderr)")
        let own = "\(host.name.lowercased()).\(lab.domain)"
        #expect(
            try jsonObject(result)["message"] as? String == """
                \(lab.minimalUser)@\(lab.realm) may not set dNSHostName other.\(lab.domain) on \(dn): the DC accepts from a non-administrator only \
                the account's own name, \(own) (Validated write to DNS host name, CVE-2022-26923); join with --host-fqdn \(own), or have an \
                administrator set dNSHostName (or list the suffix in the domain's msDS-AllowedDNSSuffixes)
                """)
        #expect(try admin.computer(host.name + "$")?["dnshostname"] == nil)
    }

    /// In text output the warnings are `warning:` lines, after the status.
    @Test func warningsAreLinesOfTheTextOutput() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let dn = try admin.prestageForMinimalUser(host.name)
        let result = try runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.minimalUser, "--password-stdin", "--host-fqdn", host.fqdn,
                "--root", host.root.path, "--domain-controller", lab.dcIP, "--no-configure", "--quiet",
            ],
            stdin: URL(fileURLWithPath: lab.minimalPasswordFile))
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let warnings = lines.filter { $0.hasPrefix("warning:") }.map { $0.dropFirst("warning:".count).trimmingCharacters(in: .whitespaces) }
        #expect(warnings == prestagedWarnings(host, dn))
        #expect(lines.firstIndex { $0.hasPrefix("status:") }! < lines.firstIndex { $0.hasPrefix("warning:") }!)
    }
}
