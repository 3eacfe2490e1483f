@testable import HostConfig
import Testing

@Suite struct PAMStackEditorTests {
    /// The file-editing fallback must leave the stacks as Debian's own tool does.
    @Test(arguments: [
        ("auth", DebianPAM.authPlain, DebianPAM.authWithSSS),
        ("account", DebianPAM.accountPlain, DebianPAM.accountWithSSS),
        ("password", DebianPAM.passwordPlain, DebianPAM.passwordWithSSS),
    ])
    func matchesPamAuthUpdate(type: String, plain: String, expected: String) throws {
        let edited = try PAMStackEditor.addSSS(to: plain, types: [type])
        #expect(normalized(edited) == normalized(expected))
    }

    @Test func sessionGetsSSSAndHomeDirectoryCreation() throws {
        let edited = normalized(try PAMStackEditor.addSSS(to: DebianPAM.sessionPlain, types: ["session"]))
        #expect(Set(edited) == Set(normalized(DebianPAM.sessionWithSSS)))
        // The jump over pam_deny at the top still lands on the line after it.
        #expect(
            edited.prefix(3) == ["session [default=1] pam_permit.so", "session requisite pam_deny.so", "session required pam_permit.so"])
    }

    @Test func aSecondEditChangesNothing() throws {
        let once = try PAMStackEditor.addSSS(to: DebianPAM.authPlain, types: ["auth"])
        #expect(try PAMStackEditor.addSSS(to: once, types: ["auth"]) == once)
        #expect(try PAMStackEditor.addSSS(to: DebianPAM.authWithSSS, types: ["auth"]) == DebianPAM.authWithSSS)
    }

    /// A RHEL 8 system-auth as authconfig left it: all four types in one file, `sufficient` style.
    @Test func redHatSystemAuth() throws {
        let systemAuth = """
            auth        required      pam_env.so
            auth        sufficient    pam_unix.so try_first_pass nullok
            auth        required      pam_deny.so

            account     required      pam_unix.so

            password    requisite     pam_pwquality.so try_first_pass local_users_only retry=3
            password    sufficient    pam_unix.so try_first_pass use_authtok nullok sha512 shadow
            password    required      pam_deny.so

            session     optional      pam_keyinit.so revoke
            session     required      pam_limits.so
            session     required      pam_unix.so

            """
        let edited = normalized(try PAMStackEditor.addSSS(to: systemAuth))
        #expect(
            edited == [
                "auth required pam_env.so",
                "auth sufficient pam_unix.so try_first_pass nullok",
                "auth [success=1 default=ignore] pam_sss.so use_first_pass",
                "auth required pam_deny.so",
                "account required pam_unix.so",
                "account sufficient pam_localuser.so",
                "account [default=bad success=ok user_unknown=ignore] pam_sss.so",
                "password requisite pam_pwquality.so try_first_pass local_users_only retry=3",
                "password sufficient pam_unix.so try_first_pass use_authtok nullok sha512 shadow",
                "password sufficient pam_sss.so use_authtok",
                "password required pam_deny.so",
                "session optional pam_keyinit.so revoke",
                "session required pam_limits.so",
                "session required pam_unix.so",
                "session optional pam_mkhomedir.so",
                "session optional pam_sss.so",
            ])
    }

    @Test func jumpsThatCrossTheInsertionAreRenumbered() throws {
        let stack =
            "auth [success=2 default=ignore] pam_unix.so\nauth [success=1 default=ignore] pam_ldap.so\nauth requisite pam_deny.so\nauth required pam_permit.so\n"
        let edited = normalized(try PAMStackEditor.addSSS(to: stack, types: ["auth"]))
        #expect(
            edited == [
                "auth [success=3 default=ignore] pam_unix.so", "auth [success=2 default=ignore] pam_ldap.so",
                "auth [success=1 default=ignore] pam_sss.so use_first_pass", "auth requisite pam_deny.so", "auth required pam_permit.so",
            ])
    }

    @Test func refusesAStackItDoesNotRecognise() {
        #expect(throws: PAMStackEditor.Refusal.self) {
            try PAMStackEditor.addSSS(to: "auth required pam_unix.so\n", types: ["auth"])
        }
    }

    private func normalized(_ text: String) -> [String] {
        text.split(separator: "\n").map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }.filter {
            !$0.isEmpty
        }
    }
}
