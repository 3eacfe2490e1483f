import Foundation
import Testing

/// `join --root` into Debian 13 systems, then a domain login with that system's own sssd 2.10 and PAM:
/// one whose PAM tool is authselect (the RHEL 9 and Amazon Linux 2023 profiles), one with pam-auth-update.
/// scripts/test-distros builds the roots and names them in ADJOIN_ROOT_TRIXIE_AUTHSELECT,
/// ADJOIN_ROOT_TRIXIE_AUTHSELECT_ODDJOB (with oddjob-mkhomedir) and ADJOIN_ROOT_TRIXIE_SSSD.
@Suite(
    .serialized, .needsLab,
    .enabled(
        if: RootSandbox.distroRoots.allSatisfy { RootSandbox.cached($0) != nil }, "scripts/test-distros names the cached Debian 13 roots"))
struct DistroLoginIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    /// What leave must put back as the join found it.
    static let restoredState = ["/etc", "/var/lib/pam", "/var/lib/authselect"]

    func join(_ root: RootSandbox, _ host: TestHost) throws -> CommandResult {
        try runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
                "--host-fqdn", host.fqdn, "--root", root.directory.path, "--domain-controller", lab.dcIP,
                "--allow-group", lab.loginGroup,
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
    }

    func leave(_ root: RootSandbox) throws -> CommandResult {
        try runAgent(["leave", "--root", root.directory.path, "--domain-controller", lab.dcIP])
    }

    func authselectCurrent(_ root: RootSandbox) throws -> String {
        try root.run("/usr/bin/authselect", ["current", "--raw"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A copy of the cached root `variable` names, `prepare`d, then joined as a new host; `joined` checks
    /// the joined root; then leave, which must put back every file as it was before the join.
    private func joinAndLeave(
        _ variable: String, prepare: (RootSandbox) throws -> Void = { _ in },
        joined: (RootSandbox, TestHost, CommandResult) throws -> Void,
        left: (RootSandbox) throws -> Void = { _ in }
    ) throws {
        let root = try RootSandbox(copying: try #require(RootSandbox.cached(variable)), lab: lab)
        defer { root.remove() }
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        try prepare(root)
        let before = try root.snapshot(Self.restoredState)

        let result = try join(root, host)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stderr.contains("edited the PAM stack files directly"))
        #expect(!result.stderr.contains("adding it directly"))
        try joined(root, host, result)

        let leaving = try leave(root)
        #expect(leaving.status == 0, "\(leaving.stderr)")
        try left(root)
        #expect(try root.snapshot(Self.restoredState) == before)
    }

    @Test func authselectSelectsSSSDAndAMemberLogsInWithTheRootsOwnSSSD() throws {
        try joinAndLeave(
            "ADJOIN_ROOT_TRIXIE_AUTHSELECT",
            prepare: { root throws in
                #expect(
                    !FileManager.default.fileExists(atPath: root.file("/usr/sbin/pam-auth-update").path),
                    "the authselect root must have no pam-auth-update")
                #expect(try root.run("/usr/bin/authselect", ["current"]).stdout.contains("No existing configuration detected"))
            },
            joined: { root, host, joined throws in
                // No oddjob-mkhomedir in this root: adjoin's custom profile, the sssd one with pam_mkhomedir.
                #expect(joined.stderr.contains("authselect select custom/adjoin with-mkhomedir with-sudo --force --nobackup"))
                #expect(try authselectCurrent(root) == "custom/adjoin with-mkhomedir with-sudo")
                // The PAM files are authselect's: its links, and content that `authselect check` finds untouched.
                #expect(root.linkTarget("/etc/pam.d/system-auth") == "/etc/authselect/system-auth")
                #expect(root.linkTarget("/etc/nsswitch.conf") == "/etc/authselect/nsswitch.conf")
                let check = try root.run("/usr/bin/authselect", ["check"])
                #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
                let systemAuth = try root.text("/etc/authselect/system-auth")
                #expect(
                    systemAuth.contains("pam_sss.so") && systemAuth.contains("pam_mkhomedir.so")
                        && !systemAuth.contains("pam_oddjob_mkhomedir.so"))
                #expect(try root.text("/etc/authselect/nsswitch.conf").contains("sss"))

                try logIn(root, services: ["system-auth", "password-auth"])
                #expect(FileManager.default.fileExists(atPath: root.file("/home/\(lab.memberUser)").path), "pam_mkhomedir made no home")

                // A second join changes nothing: the selection is already there.
                let again = try join(root, host)
                #expect(again.status == 0, "\(again.stderr)")
                #expect(again.stderr.contains("authselect already selects custom/adjoin with-mkhomedir with-sudo"))
            },
            left: { root throws in
                #expect(try root.run("/usr/bin/authselect", ["current"]).stdout.contains("No existing configuration detected"))
                #expect(root.linkTarget("/etc/pam.d/system-auth") == nil)
            })
    }

    @Test func aPreviousSelectionsFeaturesAreKeptAndLeavePutsTheSelectionBack() throws {
        try joinAndLeave(
            "ADJOIN_ROOT_TRIXIE_AUTHSELECT",
            prepare: { root throws in
                let selected = try root.run(
                    "/usr/bin/authselect", ["select", "local", "with-faillock", "with-silent-lastlog", "--force", "--nobackup", "--quiet"])
                try #require(selected.status == 0, "\(selected.stdout)\(selected.stderr)")
            },
            joined: { root, _, _ throws in
                #expect(try authselectCurrent(root) == "custom/adjoin with-faillock with-silent-lastlog with-mkhomedir with-sudo")
                #expect(try root.run("/usr/bin/authselect", ["check"]).status == 0)
            },
            left: { root throws in
                #expect(try authselectCurrent(root) == "local with-faillock with-silent-lastlog")
                #expect(try root.run("/usr/bin/authselect", ["check"]).status == 0)
            })
    }

    /// As on RHEL: with oddjob-mkhomedir installed, the stock sssd profile, whose pam_oddjob_mkhomedir
    /// asks oddjobd (over the root's own D-Bus system bus) to make the home.
    @Test func oddjobdMakesTheHomeWhereOddjobMkhomedirIsInstalled() throws {
        try joinAndLeave(
            "ADJOIN_ROOT_TRIXIE_AUTHSELECT_ODDJOB",
            joined: { root, _, joined throws in
                #expect(joined.stderr.contains("authselect select sssd with-mkhomedir with-sudo --force --nobackup"))
                #expect(joined.stderr.contains("home directories are made by oddjobd"))
                // Enabled by the image's package already: the join records nothing, and leave leaves it enabled.
                #expect(joined.stderr.contains("enabled in \(root.directory.path) already"), "\(joined.stderr)")
                #expect(try oddjobdEnabled(root))
                #expect(try !root.text("/var/lib/adjoin/joined").contains("enabled-unit="))
                #expect(try root.text("/etc/authselect/system-auth").contains("pam_oddjob_mkhomedir.so"))
                #expect(try root.run("/usr/bin/authselect", ["check"]).status == 0)

                let bus = try RootDaemon(root, "/usr/bin/dbus-daemon", ["--system", "--nofork", "--nopidfile"])
                defer { bus.stop() }
                try waitFor("the D-Bus system bus", bus) {
                    FileManager.default.fileExists(atPath: root.file("/run/dbus/system_bus_socket").path)
                }
                let oddjobd = try RootDaemon(root, "/usr/sbin/oddjobd", ["-n"])
                defer { oddjobd.stop() }
                try waitFor("oddjobd on the bus", oddjobd) {
                    let owner = try? root.run(
                        "/usr/bin/dbus-send",
                        [
                            "--system", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                            "org.freedesktop.DBus.NameHasOwner", "string:com.redhat.oddjob_mkhomedir",
                        ])
                    return owner?.stdout.contains("boolean true") ?? false
                }
                try logIn(root, services: ["system-auth"])
                // oddjob's helper makes homes with umask 0077; pam_mkhomedir's default would give 0755.
                let home = try FileManager.default.attributesOfItem(atPath: root.file("/home/\(lab.memberUser)").path)
                #expect(home[.posixPermissions] as? Int == 0o700)
            },
            left: { root throws in
                #expect(try oddjobdEnabled(root), "leave disabled the oddjobd that was enabled before the join")
            })
    }

    /// oddjobd not enabled before the join: the join enables it (systemctl --root) and records that, and
    /// leave disables it again, so the unit's links are as the join found them (the /etc snapshot).
    @Test func leaveDisablesTheOddjobdTheJoinEnabled() throws {
        try joinAndLeave(
            "ADJOIN_ROOT_TRIXIE_AUTHSELECT_ODDJOB",
            prepare: { root throws in
                let disabled = try run(URL(fileURLWithPath: "/usr/bin/systemctl"), ["--root=\(root.directory.path)", "disable", "oddjobd"])
                try #require(disabled.status == 0, "\(disabled.stderr)")
                try #require(try !oddjobdEnabled(root))
            },
            joined: { root, _, joined throws in
                #expect(joined.stderr.contains("enabled in \(root.directory.path), it starts with that system"), "\(joined.stderr)")
                #expect(try oddjobdEnabled(root))
                #expect(try root.text("/var/lib/adjoin/joined").contains("enabled-unit=oddjobd"))
            },
            left: { root throws in
                #expect(try !oddjobdEnabled(root), "leave left oddjobd enabled")
            })
    }

    /// What the root's systemd would start at boot (`systemctl --root ... is-enabled`).
    func oddjobdEnabled(_ root: RootSandbox) throws -> Bool {
        try run(URL(fileURLWithPath: "/usr/bin/systemctl"), ["--root=\(root.directory.path)", "is-enabled", "oddjobd"]).status == 0
    }

    @Test func pamAuthUpdateRootLogsAMemberInWithItsOwnSSSD() throws {
        try joinAndLeave(
            "ADJOIN_ROOT_TRIXIE_SSSD",
            joined: { root, _, joined throws in
                #expect(joined.stderr.contains("pam-auth-update --package --enable sss mkhomedir"))
                #expect(try root.text("/etc/pam.d/common-auth").contains("pam_sss.so"))
                #expect(try root.text("/etc/pam.d/common-session").contains("pam_mkhomedir.so"))

                try logIn(root, services: ["login"])
                #expect(FileManager.default.fileExists(atPath: root.file("/home/\(lab.memberUser)").path), "pam_mkhomedir made no home")
            })
    }

    /// With the root's sssd running: the group's member is let in through each PAM service, the
    /// non-member authenticates but is refused at account management, a wrong password is refused.
    private func logIn(_ root: RootSandbox, services: [String]) throws {
        // The root's own sssd (2.10) validates the file adjoin wrote: no option it does not know.
        let check = try root.run("/usr/sbin/sssctl", ["config-check"])
        #expect(check.status == 0 && check.stdout.contains("Issues identified by validators: 0"), "\(check.stdout)\(check.stderr)")
        let timeouts = try SSSDTestTimeouts(in: root.file("/etc/sssd/conf.d"), domain: lab.domain)
        defer { timeouts.remove() }
        let sssd = try RootDaemon.sssd(root)
        defer { sssd.stop() }
        let passwd = try resolveUser(lab.memberUser, in: root)
        #expect(passwd.hasPrefix("\(lab.memberUser):*:"), "sssd said: \(sssd.output.suffix(3000))")
        for service in services {
            try expectOnlyTheMemberLogsIn(lab, in: root, service: service, session: true, sssd: sssd.output)
            // The other user's password is right: it is the access control that refuses them, not authentication.
            let nonmemberAuthenticates = try pamtester(
                lab.nonmemberUser, password: lab.nonmemberPasswordFile, ["authenticate"], service: service, in: root)
            #expect(nonmemberAuthenticates.status == 0, "\(service): \(nonmemberAuthenticates.stderr)")
        }
    }

    /// A daemon's readiness, looked at every 100 ms for at most 10 s.
    private func waitFor(_ what: String, _ daemon: RootDaemon, _ ready: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if try ready() { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        Issue.record("no \(what) within 10 s: \(daemon.output.suffix(2000))")
    }
}
