import AdjoinCore
import Discovery
import Foundation
import HostConfig
@testable import Kerberos
@testable import LDAP
@testable import Membership
import Testing
import TestSupport

/// `adjoin join` with and without host configuration (HostJoin), against a scripted directory and a
/// host root in a scratch folder: the DC located, the host planned before the directory is touched,
/// the account made, the keytab and the join record written, and the host's files configured for the
/// groups given. The script fails the test on any call it does not list, and on any it lists that is
/// not made.
@Suite struct HostJoinTests {
    static let base = ScriptedDomain.base
    static let computers = ScriptedDomain.computers
    static let dn = ScriptedDomain.web1
    static let wellKnownComputers = ScriptedDomain.wellKnownComputers
    static let controller = FakeDirectory.controller("dc1.corp.example.com", domain: "corp.example.com")

    let root = ScratchRoot("adjoin-hostjoin")
    let request: JoinRequest

    init() throws {
        var request = JoinRequest(
            domain: try DomainName("corp.example.com"), user: "adjoiner", password: SecretBytes(Array("Join-Pass-1".utf8)),
            hostFQDN: "web1.corp.example.com", computerName: try ComputerName(hostFQDN: "web1.corp.example.com"),
            owner: AccountOwner("i-0123456789abcdef0"), osRelease: OSRelease(name: "Debian GNU/Linux", version: "12"))
        request.files = root.files
        self.request = request
    }

    /// A host HostConfiguration can plan for: sssd installed, NSS, and PAM stacks it edits in place
    /// (no pam-auth-update or authselect under a root), as SSHPlanTests' image has them; no sshd.
    func configurableHost() throws {
        try root.write("", to: "/usr/sbin/sssd", mode: 0o755)
        try root.write("passwd: files\ngroup: files\nshadow: files\n", to: "/etc/nsswitch.conf")
        let stack =
            "auth sufficient pam_unix.so\nauth required pam_deny.so\naccount required pam_unix.so\n"
            + "password sufficient pam_unix.so\npassword required pam_deny.so\nsession required pam_unix.so\n"
        try root.write(stack, to: "/etc/pam.d/system-auth")
        try root.write(stack, to: "/etc/pam.d/password-auth")
    }

    /// A new account, created and proven: the account search, the add, the self-deletion grant (the
    /// DACL read, then written), and the keytab's login at the new account's kvno.
    static var newAccount: [DirectoryStep] {
        [
            .search(bases: [base, wellKnownComputers], answer: .success([[], [LDAPEntry.scripted(computers, [:])]])),
            .add(dn: dn),
            .search(base: dn, entries: [LDAPEntry(dn: dn, attributes: ["ntsecuritydescriptor": [SelfDeletionGrantTests.beforeGrant]])]),
            .modify(dn: dn, attributes: ["nTSecurityDescriptor"]),
            .login(principal: "WEB1$", answer: .success(1)),
        ]
    }

    func connector(_ steps: [DirectoryStep]) throws -> FakeDirectoryConnector {
        let directory = try FakeDirectory(controller: Self.controller, realm: "CORP.EXAMPLE.COM", steps)
        return FakeDirectoryConnector(directory, [.locate(domain: "corp.example.com"), .login(principal: "adjoiner@CORP.EXAMPLE.COM")])
    }

    func run(_ connector: FakeDirectoryConnector, login: LoginSettings?) throws -> HostJoin.Outcome {
        try HostJoin(DomainJoin(request, connector: connector, clock: FixedClock(1_700_000_000)), login: login)
            .run(deadline: Deadline(seconds: 30), identity: CurrentIdentity(files: root.files, instance: nil))
    }

    /// `--no-configure`: the account and the keytab (0600, the new account's keys), the join record
    /// saying the host was not configured; not one of the host's files, though it could be configured.
    @Test func aJoinWithoutConfigurationWritesTheKeytabAndTheRecordOnly() throws {
        try configurableHost()
        let before = root.snapshot()
        let connector = try connector(Self.newAccount)
        let outcome = try run(connector, login: nil)
        connector.finish()
        #expect(outcome.join.created && outcome.join.computerDN == Self.dn && outcome.join.kvno == 1)
        #expect(outcome.join.warnings.isEmpty, "\(outcome.join.warnings)")
        #expect(outcome.configured.isEmpty)
        let keytab = try KeytabFormat.decode(try #require(try root.files.read("/etc/krb5.keytab")))
        #expect(Set(keytab.map(\.principal)).contains("WEB1$@CORP.EXAMPLE.COM"))
        #expect(keytab.allSatisfy { $0.kvno == 1 && $0.timestamp == 1_700_000_000 })
        #expect(root.mode("/etc/krb5.keytab") == 0o600)
        let record = try #require(try JoinRecord.read(root.files))
        #expect(record.computerName == "WEB1" && record.computerDN == Self.dn && record.domain == "corp.example.com")
        #expect(!record.configured)
        #expect(record.access == nil)
        #expect(try JoinIntent.read(root.files) == nil, "the intent record gives way to the join record")
        // Under /etc only the keytab is new: no krb5.conf, sssd.conf, NSS or PAM change.
        let etc = root.snapshot().filter { $0.key.hasPrefix("/etc/") && before[$0.key] != $0.value }.map(\.key)
        #expect(etc == ["/etc/krb5.keytab"])
    }

    /// With who may log in: the groups are looked up once joined (a name the domain does not hold is a
    /// warning), the record keeps who was let in, and krb5.conf, sssd.conf, NSS, PAM and the sudoers
    /// drop-in are written under the root for those groups.
    @Test func aJoinWithLoginSettingsLooksUpTheGroupsAndConfiguresTheHostForThem() throws {
        try configurableHost()
        var login = LoginSettings()
        login.allowedGroups = [try GroupName("linux-admins"), try GroupName("linux-users")]
        login.sudoGroup = try GroupName("linux-sudoers")
        // The domain holds two of the three: the sudo group's name is a typo, as the join warns.
        let connector = try connector(
            Self.newAccount + [
                .search(
                    base: Self.base,
                    entries: [
                        LDAPEntry.scripted("CN=Linux Admins,OU=Groups," + Self.base, ["sAMAccountName": ["linux-admins"]]),
                        LDAPEntry.scripted("CN=Linux Users,OU=Groups," + Self.base, ["sAMAccountName": ["linux-users"]]),
                    ])
            ])
        let outcome = try run(connector, login: login)
        connector.finish()
        #expect(
            outcome.join.warnings == [
                "the domain has no group linux-sudoers: no one logs in or uses sudo by it (check the name: sssd matches it as written)"
            ])
        let record = try #require(try JoinRecord.read(root.files))
        #expect(record.configured)
        #expect(record.access == LoginAccess(allowedGroups: ["linux-admins", "linux-users"], sudoGroup: "linux-sudoers", ssh: false))
        #expect(root.mode("/etc/krb5.keytab") == 0o600)

        for path in [
            "/etc/krb5.conf", "/etc/sssd/sssd.conf", "/etc/nsswitch.conf", "/etc/pam.d/system-auth", "/etc/pam.d/password-auth",
            "/etc/sudoers.d/adjoin",
        ] {
            #expect(outcome.configured.contains(path), "\(path) not in \(outcome.configured)")
        }
        let krb5 = try #require(root.text("/etc/krb5.conf"))
        #expect(krb5.contains("default_realm = CORP.EXAMPLE.COM"), "\(krb5)")
        #expect(krb5.contains("dc1.corp.example.com"), "the located DC is the KDC: \(krb5)")
        let sssd = try #require(root.text("/etc/sssd/sssd.conf"))
        #expect(sssd.contains("access_provider = simple"), "\(sssd)")
        #expect(sssd.contains("simple_allow_groups = linux-admins, linux-users"), "\(sssd)")
        #expect(root.mode("/etc/sssd/sssd.conf") == 0o600)
        #expect(root.text("/etc/sudoers.d/adjoin")?.contains("%linux-sudoers ALL=(ALL:ALL) ALL") == true)
        #expect(root.mode("/etc/sudoers.d/adjoin") == 0o440)
        #expect(root.text("/etc/nsswitch.conf")?.contains("passwd: files sss") == true, "\(root.text("/etc/nsswitch.conf") ?? "")")
        #expect(root.text("/etc/pam.d/system-auth")?.contains("pam_sss.so") == true)
    }

    /// The same join run again on the joined host: the account is found as the first join left it (what
    /// its add sent, the kvno, the DACL with the grant), the keytab still logs in, so its keys are kept,
    /// nothing is written to the directory (the script has no modify) and nothing on the host changes.
    @Test func aSecondJoinChangesNothing() throws {
        try configurableHost()
        var login = LoginSettings()
        login.allowedGroups = [try GroupName("linux-admins")]
        let groups = DirectoryStep.search(
            base: Self.base,
            entries: [
                LDAPEntry.scripted("CN=Linux Admins,OU=Groups," + Self.base, ["sAMAccountName": ["linux-admins"]])
            ])
        let first = try connector(Self.newAccount + [groups])
        _ = try run(first, login: login)
        first.finish()
        let before = root.snapshot()

        // The account as the first join left it: its add's attributes (not the password), its kvno, its granted DACL.
        var attributes: [String: [[UInt8]]] = ["msds-keyversionnumber": [Array("1".utf8)]]
        for attribute in first.directory.added[Self.dn] ?? [] where attribute.name != "unicodePwd" && attribute.name != "objectClass" {
            attributes[attribute.name.lowercased()] = attribute.values
        }
        for case .replace(let attribute) in first.directory.modified[Self.dn] ?? [] where attribute.name == "nTSecurityDescriptor" {
            attributes["ntsecuritydescriptor"] = attribute.values
        }
        let second = try connector([
            .search(
                bases: [Self.base, Self.wellKnownComputers],
                answer: .success([
                    [LDAPEntry(dn: Self.dn, attributes: attributes)],
                    [LDAPEntry.scripted(Self.computers, [:])],
                ])),
            // The keytab's proof: it still logs in, at kvno 1.
            .login(principal: "WEB1$", answer: .success(1)),
            groups,
        ])
        let outcome = try run(second, login: login)
        second.finish()
        #expect(!outcome.join.created && outcome.join.keysKept && outcome.join.kvno == 1)
        #expect(outcome.join.warnings.isEmpty, "\(outcome.join.warnings)")
        #expect(outcome.configured.isEmpty, "\(outcome.configured)")
        #expect(root.snapshot() == before)
    }

    /// A host that cannot be configured (no sssd) is refused after the DC is located and before any
    /// login or change: the script has no login and no step of the directory's, and the root is as it was.
    @Test func aHostThatCannotBeConfiguredStopsBeforeTheDirectoryIsTouched() throws {
        try root.write("passwd: files\ngroup: files\n", to: "/etc/nsswitch.conf")
        let before = root.snapshot()
        let directory = try FakeDirectory(controller: Self.controller, realm: "CORP.EXAMPLE.COM", [])
        let connector = FakeDirectoryConnector(directory, [.locate(domain: "corp.example.com")])
        var login = LoginSettings()
        login.allowedGroups = [try GroupName("linux-admins")]
        let error = #expect(throws: AdjoinError.self) { try run(connector, login: login) }
        connector.finish()
        #expect(error?.status == .configurationFailed)
        #expect(error?.message.contains("sssd is not installed under \(root.path)") == true, "\(error?.message ?? "")")
        #expect(root.snapshot() == before, "no keytab, no intent or join record")
    }
}
