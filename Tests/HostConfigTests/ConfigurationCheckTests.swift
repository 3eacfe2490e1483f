import AdjoinCore
import Foundation
import Testing
@testable import HostConfig

@Suite struct ConfigurationCheckTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("adjoin-check-\(UInt32.random(in: 0...UInt32.max))")

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
        defer { try? FileManager.default.removeItem(at: root) }
        let settings = HostSettings(domain: "corp.example.com", realm: "CORP.EXAMPLE.COM", hostFQDN: "web1.corp.example.com",
                                    computerName: "WEB1", kdcs: ["dc1.corp.example.com"])
        try write(KerberosConfiguration.render(settings, over: nil), "/etc/krb5.conf")
        try write(SSSDConfiguration.render(settings, over: nil), "/etc/sssd/sssd.conf", mode: 0o600)
        try write(NameServiceSwitch.render(over: "passwd: files\ngroup: files\n"), "/etc/nsswitch.conf")
        try write("auth [success=1 default=ignore] pam_sss.so use_first_pass\n", "/etc/pam.d/common-auth")
        #expect(try problems() == [])

        try write("passwd: files sss\ngroup: files\n", "/etc/nsswitch.conf")
        #expect(try problems() == ["/etc/nsswitch.conf does not ask sss for group"])
        try write(NameServiceSwitch.render(over: nil), "/etc/nsswitch.conf")

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: root.appendingPathComponent("etc/sssd/sssd.conf").path)
        #expect(try problems() == ["/etc/sssd/sssd.conf is not mode 0600 (sssd refuses to start)"])
        try write("[sssd]\ndomains = other.example.org\n", "/etc/sssd/sssd.conf", mode: 0o600)
        #expect(try problems().count == 2)

        try FileManager.default.removeItem(at: root.appendingPathComponent("etc/krb5.conf"))
        try write("# pam_sss.so only in a comment\nauth required pam_unix.so\n", "/etc/pam.d/common-auth")
        let all = try problems()
        #expect(all.contains("/etc/krb5.conf is missing"))
        #expect(all.contains("/etc/pam.d/common-auth does not use pam_sss"))
    }

    /// Where authselect manages PAM (Debian 13 with authselect keeps its common-auth), its system-auth
    /// is checked, through the link, inside the root.
    @Test func authselectsStackIsCheckedWhereAuthselectManagesPAM() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try write("auth required pam_unix.so\n", "/etc/pam.d/common-auth")
        try write("auth sufficient pam_sss.so forward_pass\n", "/etc/authselect/system-auth")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("etc/pam.d/system-auth").path,
                                                   withDestinationPath: "/etc/authselect/system-auth")
        #expect(try problems().contains("/etc/pam.d/common-auth does not use pam_sss"))
        try write("sssd\nwith-mkhomedir\nwith-sudo\n", "/etc/authselect/authselect.conf")
        #expect(!(try problems()).contains { $0.contains("pam_sss") })
        try write("auth required pam_unix.so\n", "/etc/authselect/system-auth")
        #expect(try problems().contains("/etc/pam.d/system-auth does not use pam_sss"))
    }
}
