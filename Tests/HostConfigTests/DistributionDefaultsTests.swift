import AdjoinCore
import Foundation
@testable import HostConfig
import Testing
import TestSupport

/// What differs between distributions is chosen from what the system has: the PAM tool, how home
/// directories are made, and what authselect is asked to select.
@Suite struct DistributionDefaultsTests {
    let scratch = ScratchRoot("adjoin-distro")
    var root: URL { scratch.url }
    var files: HostFiles { HostFiles(root: root.path) }

    func write(_ text: String, _ hostPath: String) throws {
        let url = root.appendingPathComponent(String(hostPath.dropFirst()))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    @Test func pamToolFollowsWhatIsInstalledAndWhatIsInUse() {
        // Debian, Ubuntu: pam-auth-update, even with authselect installed but never used.
        #expect(PAMTool.choose(hasPAMAuthUpdate: true, hasAuthselect: false, authselectInUse: false) == .pamAuthUpdate)
        #expect(PAMTool.choose(hasPAMAuthUpdate: true, hasAuthselect: true, authselectInUse: false) == .pamAuthUpdate)
        // RHEL 9, Amazon Linux 2023: authselect alone; and wherever authselect already manages PAM.
        #expect(PAMTool.choose(hasPAMAuthUpdate: false, hasAuthselect: true, authselectInUse: false) == .authselect)
        #expect(PAMTool.choose(hasPAMAuthUpdate: true, hasAuthselect: true, authselectInUse: true) == .authselect)
        #expect(PAMTool.choose(hasPAMAuthUpdate: false, hasAuthselect: false, authselectInUse: true) == .none)
    }

    @Test func homeDirectoriesThroughOddjobOnlyWhereItsModuleAndDaemonAreInstalled() throws {
        #expect(HomeDirectoryCreation.detect(files: files) == .pamMkhomedir)
        // RHEL's layout: the module in /usr/lib64/security, reached through the /lib64 -> usr/lib64 link.
        try write("", "/usr/lib64/security/pam_oddjob_mkhomedir.so")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("lib64").path, withDestinationPath: "usr/lib64")
        #expect(HomeDirectoryCreation.detect(files: files) == .pamMkhomedir, "the module without oddjobd makes no home")
        try write("", "/usr/sbin/oddjobd")
        #expect(HomeDirectoryCreation.detect(files: files) == .oddjob)
        #expect(HomeDirectoryCreation.oddjob.module == "pam_oddjob_mkhomedir.so")
    }

    @Test func authselectKeepsTheFeaturesAlreadySelected() throws {
        let sssd: Set<String> = ["with-faillock", "with-mkhomedir", "with-sudo", "with-smartcard", "with-silent-lastlog"]
        // Nothing selected: the sssd profile with home directories and sudo.
        let fresh = try #require(AuthselectSelection.select(current: [], supported: sssd))
        #expect(fresh.features == ["with-mkhomedir", "with-sudo"])
        // Another profile's features stay where sssd has them; one it lacks is reported.
        let fromLocal = try #require(AuthselectSelection.select(current: ["local", "with-faillock", "with-nispwquality"], supported: sssd))
        #expect(fromLocal.features == ["with-faillock", "with-mkhomedir", "with-sudo"])
        #expect(fromLocal.dropped == ["with-nispwquality"])
        // sssd with some features: the missing one is added, none repeated.
        let partial = try #require(AuthselectSelection.select(current: ["sssd", "with-smartcard", "with-sudo"], supported: sssd))
        #expect(partial.features == ["with-smartcard", "with-sudo", "with-mkhomedir"])
        // Already selected: nothing to do; for adjoin's custom profile, sssd alone is not enough.
        #expect(AuthselectSelection.select(current: ["sssd", "with-sudo", "with-mkhomedir"], supported: sssd) == nil)
        #expect(
            AuthselectSelection.select(current: ["sssd", "with-sudo", "with-mkhomedir"], supported: sssd, profile: "custom/adjoin") != nil)
        #expect(
            AuthselectSelection.select(
                current: ["custom/adjoin", "with-mkhomedir", "with-sudo"], supported: sssd, profile: "custom/adjoin") == nil)
        #expect(AuthselectSelection.words("sssd with-mkhomedir\nwith-sudo\n") == ["sssd", "with-mkhomedir", "with-sudo"])
    }

    @Test func customProfileIsTheSystemsSSSDProfileWithPAMMkhomedir() throws {
        #expect(throws: AdjoinError.self) { try AuthselectCustomProfile.render(files: files) }
        let line = "session     optional     pam_oddjob_mkhomedir.so     {include if \"with-mkhomedir\"}\n"
        try write("auth required pam_env.so\n" + line, "/usr/share/authselect/default/sssd/system-auth")
        try write(line, "/usr/share/authselect/default/sssd/password-auth")
        try write("passwd: files {if \"with-altfiles\":altfiles }sss\n", "/usr/share/authselect/default/sssd/nsswitch.conf")
        try write("Requires pam_oddjob_mkhomedir.so\n", "/usr/share/authselect/default/sssd/REQUIREMENTS")
        let rendered = Dictionary(uniqueKeysWithValues: try AuthselectCustomProfile.render(files: files).map { ($0.path, $0.content) })
        #expect(
            rendered["/etc/authselect/custom/adjoin/system-auth"]
                == "auth required pam_env.so\nsession     optional     pam_mkhomedir.so     {include if \"with-mkhomedir\"}\n")
        #expect(rendered["/etc/authselect/custom/adjoin/password-auth"]?.contains("pam_mkhomedir.so") == true)
        #expect(rendered["/etc/authselect/custom/adjoin/nsswitch.conf"] == "passwd: files {if \"with-altfiles\":altfiles }sss\n")
        // Only PAM templates change.
        #expect(rendered["/etc/authselect/custom/adjoin/REQUIREMENTS"] == "Requires pam_oddjob_mkhomedir.so\n")
        #expect(rendered.count == 4)
        // A vendor profile replaces the default one.
        try write("vendor\n", "/usr/share/authselect/vendor/sssd/system-auth")
        #expect(try AuthselectCustomProfile.render(files: files).map(\.content) == ["vendor\n"])
    }

    @Test func editedStacksUseTheSystemsHomeDirectoryModule() throws {
        let session = "session\trequired\tpam_unix.so\n"
        #expect(
            try PAMStackEditor.addSSS(to: session, types: ["session"], home: .oddjob)
                == "session\trequired\tpam_unix.so\nsession\toptional\tpam_oddjob_mkhomedir.so\nsession\toptional\tpam_sss.so\n")
        #expect(try PAMStackEditor.addSSS(to: session, types: ["session"]).contains("\tpam_mkhomedir.so\n"))
        // Either module already there is enough: none is added twice.
        let withOddjob = session + "session\toptional\tpam_oddjob_mkhomedir.so\n"
        #expect(try PAMStackEditor.addSSS(to: withOddjob, types: ["session"]) == withOddjob + "session\toptional\tpam_sss.so\n")
    }
}
