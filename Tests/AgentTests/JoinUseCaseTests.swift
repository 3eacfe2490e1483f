import AdjoinCore
import Agent
import AWS
import Foundation
import Kerberos
@testable import LDAP
import Membership
import Testing
import TestSupport

/// `adjoin join` with flags only, the real run (not a dry run), through its RunContext: the DC and the
/// directory are scripted fakes, the host is a scratch root. The use case reads its settings from the
/// flags, locks the host, joins, writes the keytab and the join record, configures the host for the
/// flags' groups (or not, with --no-configure), and reports JOINED with what it did.
@Suite struct JoinUseCaseTests {
    static let base = ScriptedDomain.base
    static let computers = ScriptedDomain.computers
    static let dn = ScriptedDomain.web1
    static let wellKnownComputers = ScriptedDomain.wellKnownComputers

    let root = ScratchRoot("adjoin-joinusecase")

    /// A new account, created and proven at kvno 1. The DACL read for the self-deletion grant is
    /// refused (as on a directory that lets the join user create accounts but not read their DACL):
    /// the join stands, with a warning that leave will need a join user.
    static var newAccount: [DirectoryStep] {
        [
            .search(bases: [base, wellKnownComputers], answer: .success([[], [LDAPEntry.scripted(computers, [:])]])),
            .add(dn: dn),
            .search(
                base: dn, error: LDAPError(code: .insufficientAccess, message: "Insufficient access", diagnostic: nil, operation: "search")),
            .login(principal: "WEB1$", answer: .success(1)),
        ]
    }

    func connector(_ steps: [DirectoryStep]) throws -> FakeDirectoryConnector {
        let directory = try FakeDirectory(
            controller: FakeDirectory.controller("dc1.corp.example.com", domain: "corp.example.com"),
            realm: "CORP.EXAMPLE.COM", steps)
        return FakeDirectoryConnector(directory, [.locate(domain: "corp.example.com"), .login(principal: "adjoiner@CORP.EXAMPLE.COM")])
    }

    /// Every progress line the join printed.
    let progress = Locked<[String]>([])

    func context(_ connector: FakeDirectoryConnector) -> RunContext {
        let progress = self.progress
        // No resolver step: the join finds its DC through the connector alone, and any DNS query fails the test.
        return RunContext(
            deadline: Deadline(seconds: 30), progress: { line in progress.withLock { $0.append(line) } }, files: root.files,
            environment: AWSEnvironment(variables: [:]), clock: FixedClock(1_700_000_000), resolvers: FakeResolver([]),
            connector: connector)
    }

    /// The join password nowhere in what the join said, printed or reported.
    func expectNoPassword(in texts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for text in texts + progress.withLock({ $0 }) {
            #expect(!text.contains("Join-Pass-1"), "\(text)", sourceLocation: sourceLocation)
        }
    }

    /// `adjoin join --domain corp.example.com --user adjoiner --password-stdin --no-register-dns --host-fqdn web1... --owner ...`.
    /// The password stands in the command line's settings layer (SettingFlags' secret), so that standard
    /// input is not read here: the use case reads it for --password-stdin only when the layer has none.
    func options(configure: Bool) -> JoinUseCase.Options {
        var options = JoinUseCase.Options(directory: DirectoryFlags())
        options.settings.set(.domain, "corp.example.com")
        options.settings.set(.joinUser, "adjoiner")
        // --no-register-dns: the fake directory fails any DNS update (registration is the lab's to test).
        options.settings.set(.registerDNS, false)
        options.settings.set(.joinPassword, secret: SecretBytes(Array("Join-Pass-1".utf8)))
        options.passwordFromStandardInput = true
        options.hostFQDN = "web1.corp.example.com"
        options.owner = "test-owner"
        options.configure = configure
        return options
    }

    func field(_ report: CommandReport, _ name: String) -> [String] {
        report.lines.filter { $0.0 == name }.map(\.1)
    }

    @Test func aFlagsOnlyJoinWithoutConfigurationEndsJoinedWithTheAccountAndTheKeytab() throws {
        let connector = try connector(Self.newAccount)
        let report = try JoinUseCase(options(configure: false)).run(context(connector))
        connector.finish()
        #expect(report.status == .joined)
        #expect(field(report, "domain") == ["corp.example.com"])
        #expect(field(report, "computer-name") == ["WEB1"])
        #expect(field(report, "computer-dn") == [Self.dn])
        #expect(field(report, "domain-controller") == ["dc1.corp.example.com"])
        #expect(field(report, "kvno") == ["1"])
        #expect(field(report, "keytab") == [root.files.path("/etc/krb5.keytab")])
        #expect(field(report, "host") == ["not asked (--no-configure)"])
        #expect(field(report, "status") == ["JOINED"])
        #expect(field(report, "warning").contains { $0.contains("adjoin leave will need --user") }, "\(field(report, "warning"))")
        let keytab = try KeytabFormat.decode(try #require(try root.files.read("/etc/krb5.keytab")))
        #expect(Set(keytab.map(\.principal)).contains("WEB1$@CORP.EXAMPLE.COM"))
        #expect(keytab.allSatisfy { $0.kvno == 1 && $0.timestamp == 1_700_000_000 })
        #expect(root.mode("/etc/krb5.keytab") == 0o600)
        let record = try #require(try JoinRecord.read(root.files))
        #expect(record.computerName == "WEB1" && record.owner == "test-owner" && !record.configured)
        #expect(root.text("/etc/krb5.conf") == nil && root.text("/etc/sssd/sssd.conf") == nil)
        #expect(progress.withLock { $0 }.contains { $0.hasPrefix("Creating the computer account WEB1$") })
        expectNoPassword(in: report.lines.map(\.1) + [report.json.serialized()])
    }

    /// The DC refuses the add: the command fails with the directory's reason and the domain, and the
    /// host is as it was (no keytab, no join or intent record; the lock's own file aside).
    @Test func aJoinTheDirectoryRefusesFailsAndLeavesTheHostAsItWas() throws {
        let refused = LDAPError(
            code: .insufficientAccess, message: "Insufficient access",
            diagnostic: "00002098: SecErr: DSID-03150F94, problem 4003 (INSUFF_ACCESS_RIGHTS)", operation: "add")
        let connector = try connector([
            .search(bases: [Self.base, Self.wellKnownComputers], answer: .success([[], [LDAPEntry.scripted(Self.computers, [:])]])),
            .add(dn: Self.dn, error: refused),
        ])
        let result = Result { () throws(CommandFailure) -> CommandReport in
            try JoinUseCase(options(configure: false)).run(context(connector))
        }
        connector.finish()
        guard case .failure(let failure) = result else {
            Issue.record("a join the directory refused reported \((try? result.get())?.status.rawValue ?? "")")
            return
        }
        #expect(failure.error.status == .insufficientPermissions)
        #expect(
            failure.error.message.contains("adjoiner@CORP.EXAMPLE.COM needs Create Computer objects on \(Self.computers)"),
            "\(failure.error.message)")
        #expect(failure.domain == "corp.example.com")
        #expect(try root.files.read("/etc/krb5.keytab") == nil)
        #expect(try JoinRecord.read(root.files) == nil)
        #expect(try JoinIntent.read(root.files) == nil)
        expectNoPassword(in: [failure.error.message])
    }

    /// The groups named by --allow-group and --sudo-group reach the lookup, the record and sssd.conf.
    @Test func aFlagsOnlyJoinConfiguresTheHostForTheFlagsGroups() throws {
        try root.write("", to: "/usr/sbin/sssd", mode: 0o755)
        try root.write("passwd: files\ngroup: files\n", to: "/etc/nsswitch.conf")
        let stack =
            "auth sufficient pam_unix.so\nauth required pam_deny.so\naccount required pam_unix.so\n"
            + "password sufficient pam_unix.so\npassword required pam_deny.so\nsession required pam_unix.so\n"
        try root.write(stack, to: "/etc/pam.d/system-auth")
        try root.write(stack, to: "/etc/pam.d/password-auth")
        var options = options(configure: true)
        options.settings.set(.allowedGroups, ["linux-admins"])
        options.settings.set(.sudoGroup, "linux-sudoers")
        let connector = try connector(
            Self.newAccount + [
                .search(
                    base: Self.base,
                    entries: [
                        LDAPEntry.scripted("CN=Linux Admins,OU=Groups," + Self.base, ["sAMAccountName": ["linux-admins"]]),
                        LDAPEntry.scripted("CN=Linux Sudoers,OU=Groups," + Self.base, ["sAMAccountName": ["linux-sudoers"]]),
                    ])
            ])
        let report = try JoinUseCase(options).run(context(connector))
        connector.finish()
        #expect(report.status == .joined)
        let host = field(report, "host").joined()
        for path in ["/etc/krb5.conf", "/etc/sssd/sssd.conf", "/etc/sudoers.d/adjoin"] {
            #expect(host.contains(path), "\(host)")
        }
        #expect(!field(report, "warning").contains { $0.contains("has no group") }, "both groups exist")
        let record = try #require(try JoinRecord.read(root.files))
        #expect(record.configured)
        #expect(record.access?.allowedGroups == ["linux-admins"] && record.access?.sudoGroup == "linux-sudoers")
        #expect(root.text("/etc/sssd/sssd.conf")?.contains("simple_allow_groups = linux-admins") == true)
        #expect(root.text("/etc/sudoers.d/adjoin")?.contains("%linux-sudoers ALL=(ALL:ALL) ALL") == true)
    }
}
