import AdjoinCore
import Foundation
import Testing
@testable import HostConfig
import TestSupport

@Suite struct ConfigurationCheckTests {
    let scratch = ScratchRoot("adjoin-check")
    var root: URL { scratch.url }

    func write(_ text: String, _ hostPath: String, mode: Int = 0o644) throws {
        let url = root.appendingPathComponent(String(hostPath.dropFirst()))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    }

    func problems() throws -> [String] {
        try ConfigurationCheck.problems(domain: "corp.example.com", realm: "CORP.EXAMPLE.COM", files: HostFiles(root: root.path))
    }

    /// What adjoin renders passes; each part taken away is named.
    @Test func renderedConfigurationPassesAndEachGapIsNamed() throws {
        let settings = HostSettings(
            domain: "corp.example.com", realm: "CORP.EXAMPLE.COM", hostFQDN: "web1.corp.example.com",
            computerName: "WEB1", kdcs: ["dc1.corp.example.com"])
        try write(KerberosConfiguration.render(settings, over: nil), "/etc/krb5.conf")
        try write(SSSDConfiguration.render(settings, over: nil), "/etc/sssd/sssd.conf", mode: 0o600)
        try write(NameServiceSwitch.render(over: "passwd: files\ngroup: files\n"), "/etc/nsswitch.conf")
        try write("auth [success=1 default=ignore] pam_sss.so use_first_pass\n", "/etc/pam.d/common-auth")
        #expect(try problems() == [])

        try write("passwd: files sss\ngroup: files\n", "/etc/nsswitch.conf")
        #expect(try problems() == ["/etc/nsswitch.conf does not ask sss for group"])
        try write(NameServiceSwitch.render(over: nil), "/etc/nsswitch.conf")

        try FileManager.default.setAttributes(
            [.posixPermissions: 0o644], ofItemAtPath: root.appendingPathComponent("etc/sssd/sssd.conf").path)
        #expect(try problems() == ["/etc/sssd/sssd.conf is not mode 0600 (sssd refuses to start)"])
        try write("[sssd]\ndomains = other.example.org\n", "/etc/sssd/sssd.conf", mode: 0o600)
        #expect(try problems().count == 2)

        try FileManager.default.removeItem(at: root.appendingPathComponent("etc/krb5.conf"))
        try write("# pam_sss.so only in a comment\nauth required pam_unix.so\n", "/etc/pam.d/common-auth")
        let all = try problems()
        #expect(all.contains("/etc/krb5.conf is missing"))
        #expect(all.contains("/etc/pam.d/common-auth does not use pam_sss"))
    }

    /// The files are read as the libraries read them, not line by line: a default_realm in another
    /// section, a realm named only inside another block, and an nsswitch line that comes after the
    /// database's first (which the C library ignores) do not count.
    @Test func filesAreReadAsTheirLibrariesReadThem() throws {
        let settings = HostSettings(
            domain: "corp.example.com", realm: "CORP.EXAMPLE.COM", hostFQDN: "web1.corp.example.com",
            computerName: "WEB1", kdcs: ["dc1.corp.example.com"])
        try write(SSSDConfiguration.render(settings, over: nil), "/etc/sssd/sssd.conf", mode: 0o600)
        try write("auth [success=1 default=ignore] pam_sss.so use_first_pass\n", "/etc/pam.d/common-auth")
        try write("passwd: files\ngroup: files sss\npasswd: files sss\n", "/etc/nsswitch.conf")
        try write(
            """
            [libdefaults]
            \tdns_lookup_kdc = true
            [appdefaults]
            \tdefault_realm = CORP.EXAMPLE.COM
            [realms]
            \tOTHER.ORG = {
            \t\tkdc = kdc.other.org
            \t\tCORP.EXAMPLE.COM = {
            \t\t}
            \t}

            """, "/etc/krb5.conf")
        #expect(
            try problems() == [
                "/etc/krb5.conf does not set default_realm = CORP.EXAMPLE.COM",
                "/etc/krb5.conf has no [realms] block for CORP.EXAMPLE.COM",
                "/etc/nsswitch.conf does not ask sss for passwd",
            ])
        try write("[libdefaults]\n default_realm=CORP.EXAMPLE.COM\n[realms]\n CORP.EXAMPLE.COM={\n  kdc = dc1\n }\n", "/etc/krb5.conf")
        try write("passwd: files sss # local first\ngroup: files sss\n", "/etc/nsswitch.conf")
        #expect(try problems() == [])
    }

    /// Where authselect manages PAM (Debian 13 with authselect keeps its common-auth), its system-auth
    /// is checked, through the link, inside the root.
    @Test func authselectsStackIsCheckedWhereAuthselectManagesPAM() throws {
        try write("auth required pam_unix.so\n", "/etc/pam.d/common-auth")
        try write("auth sufficient pam_sss.so forward_pass\n", "/etc/authselect/system-auth")
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("etc/pam.d/system-auth").path,
            withDestinationPath: "/etc/authselect/system-auth")
        #expect(try problems().contains("/etc/pam.d/common-auth does not use pam_sss"))
        try write("sssd\nwith-mkhomedir\nwith-sudo\n", "/etc/authselect/authselect.conf")
        #expect(!(try problems()).contains { $0.contains("pam_sss") })
        try write("auth required pam_unix.so\n", "/etc/authselect/system-auth")
        #expect(try problems().contains("/etc/pam.d/system-auth does not use pam_sss"))
    }

    /// Access wider than the join's is drift: another access provider, other groups, users by name,
    /// a conf.d snippet that overrides sssd.conf, a sudoers drop-in that says something else.
    @Test func loginsOrSudoWiderThanTheJoinsAreNamed() throws {
        var settings = HostSettings(
            domain: "corp.example.com", realm: "CORP.EXAMPLE.COM", hostFQDN: "web1.corp.example.com",
            computerName: "WEB1", kdcs: ["dc1.corp.example.com"])
        settings.allowedGroups = [try GroupName("linux-admins"), try GroupName("Domain Admins")]
        let sssd = SSSDConfiguration.render(settings, over: nil)
        try write(KerberosConfiguration.render(settings, over: nil), "/etc/krb5.conf")
        try write(sssd, "/etc/sssd/sssd.conf", mode: 0o600)
        try write(NameServiceSwitch.render(over: nil), "/etc/nsswitch.conf")
        try write("auth [success=1 default=ignore] pam_sss.so use_first_pass\n", "/etc/pam.d/common-auth")
        try write(SudoersDropIn.render(try GroupName("linux-admins")), "/etc/sudoers.d/adjoin", mode: 0o440)
        let access = LoginAccess(allowedGroups: ["linux-admins", "Domain Admins"], sudoGroup: "linux-admins")
        func problems(_ access: LoginAccess? = access) throws -> [String] {
            try ConfigurationCheck.problems(
                domain: "corp.example.com", realm: "CORP.EXAMPLE.COM", access: access, files: HostFiles(root: root.path))
        }
        #expect(try problems() == [])
        let source = "/etc/sssd/sssd.conf (with /etc/sssd/conf.d/)"

        try write(
            sssd.replacingOccurrences(of: "access_provider = simple", with: "access_provider = permit"), "/etc/sssd/sssd.conf", mode: 0o600)
        #expect(try problems() == ["\(source) has access_provider = permit, where the join let only linux-admins, Domain Admins log in"])
        // An older adjoin's record says nothing of access: not checked.
        #expect(try problems(nil) == [])

        try write(
            sssd.replacingOccurrences(
                of: "simple_allow_groups = linux-admins, Domain Admins", with: "simple_allow_groups = linux-admins, everyone"),
            "/etc/sssd/sssd.conf", mode: 0o600)
        #expect(try problems() == ["\(source) lets everyone, linux-admins log in, where the join let linux-admins, Domain Admins"])

        try write(sssd, "/etc/sssd/sssd.conf", mode: 0o600)
        try write("[domain/corp.example.com]\nsimple_allow_users = mallory\n", "/etc/sssd/conf.d/50-local.conf", mode: 0o600)
        #expect(try problems() == ["\(source) also lets mallory log in by name (simple_allow_users)"])
        try write("[domain/corp.example.com]\naccess_provider = permit\n", "/etc/sssd/conf.d/50-local.conf", mode: 0o600)
        #expect(try problems().count == 1)
        // A snippet that is not a .conf is not read by sssd, nor here.
        try FileManager.default.removeItem(at: root.appendingPathComponent("etc/sssd/conf.d/50-local.conf"))
        try write("[domain/corp.example.com]\naccess_provider = permit\n", "/etc/sssd/conf.d/50-local.conf.disabled", mode: 0o600)
        #expect(try problems() == [])

        try write("%Domain\\ Users ALL=(ALL) NOPASSWD: ALL\n", "/etc/sudoers.d/adjoin", mode: 0o440)
        #expect(try problems() == ["/etc/sudoers.d/adjoin no longer says what the join wrote (sudo for the members of linux-admins)"])
        #expect(
            try problems(LoginAccess(allowedGroups: ["linux-admins", "Domain Admins"], sudoGroup: nil))
                == ["/etc/sudoers.d/adjoin exists, where the join gave no group sudo"])

        // A join that let no one in: sssd must deny.
        settings.allowedGroups = []
        try write(SSSDConfiguration.render(settings, over: nil), "/etc/sssd/sssd.conf", mode: 0o600)
        try FileManager.default.removeItem(at: root.appendingPathComponent("etc/sudoers.d/adjoin"))
        let nobody = LoginAccess(allowedGroups: [], sudoGroup: nil)
        #expect(try problems(nobody) == [])
        try write(
            SSSDConfiguration.render(settings, over: nil).replacingOccurrences(of: "access_provider = deny", with: "access_provider = ad"),
            "/etc/sssd/sssd.conf", mode: 0o600)
        #expect(try problems(nobody) == ["\(source) lets domain users log in (access_provider = ad), where the join let none"])
    }
}
