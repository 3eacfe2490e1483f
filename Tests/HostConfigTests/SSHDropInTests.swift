import AdjoinCore
import Foundation
import Testing
@testable import HostConfig
import TestSupport

@Suite struct SSHDropInTests {
    @Test func rendersAMatchGroupBlockThatOpensPasswordsAndKerberosOnlyToTheGroups() throws {
        let text = SSHDropIn.render([try GroupName("Linux-Admins"), try GroupName("Domain Users"), try GroupName("linux-admins")])
        #expect(
            text == """
                # Written by adjoin: members of the AD groups allowed to log in (Linux-Admins, Domain Users, linux-admins)
                # may log in with their AD password and by Kerberos. Others keep the rules of the rest of sshd's configuration.
                Match Group "linux-admins,domain users"
                \tPasswordAuthentication yes
                \tKbdInteractiveAuthentication yes
                \tGSSAPIAuthentication yes

                """)
    }

    /// With keys from the directory, the members' public keys come from sssd too, inside the same Match
    /// block (so only members get them), from a command that runs unprivileged.
    @Test func keysFromTheDirectoryAreOfferedToTheGroupsOnly() throws {
        let text = SSHDropIn.render([try GroupName("linux-admins")], keysFromDirectory: true)
        #expect(
            text == """
                # Written by adjoin: members of the AD groups allowed to log in (linux-admins)
                # may log in with their AD password, by Kerberos and with the SSH keys the directory holds for them. Others keep the rules of the rest of sshd's configuration.
                Match Group "linux-admins"
                \tPasswordAuthentication yes
                \tKbdInteractiveAuthentication yes
                \tGSSAPIAuthentication yes
                \tAuthorizedKeysCommand /usr/bin/sss_ssh_authorizedkeys
                \tAuthorizedKeysCommandUser nobody

                """)
    }

    @Test func anAttributeNameIsALetterThenLettersDigitsAndHyphens() {
        for good in ["altSecurityIdentities", "sshPublicKey", "x-ssh-Key2"] { #expect(AttributeName.isValid(good), "\(good)") }
        for bad in ["", "2key", "ssh key", "ssh\nkey", "key;x", "ssh_key", "clé", String(repeating: "a", count: 65)] {
            #expect(!AttributeName.isValid(bad), "\(bad)")
        }
    }

    /// sshd compares group names exactly, and sssd's AD provider gives them in lower case; a name with
    /// spaces stays one word; every character GroupName admits means nothing else in sshd's pattern list.
    @Test func patternIsLowerCaseQuotedAndHoldsNoPatternCharacter() throws {
        #expect(SSHDropIn.pattern([try GroupName("a=b:c/d+e@f.g_h-i")]) == "\"a=b:c/d+e@f.g_h-i\"")
        #expect(SSHDropIn.pattern([try GroupName("Ünïcode Gruppe")]) == "\"ünïcode gruppe\"")
        for refused in ["a,b", "a*", "a?", "!a", "a\"b", "a#b", "a\\b"] {
            #expect(throws: AdjoinError.self, "\(refused)") { try GroupName(refused) }
        }
    }

    @Test func wordsFollowSSHDQuotingAndComments() {
        #expect(
            SSHServerConfiguration.words("  Match Group \"domain users,x\"  ").map(String.init) == ["Match", "Group", "domain users,x"])
        #expect(SSHServerConfiguration.words("UsePAM=no").map(String.init) == ["UsePAM", "no"])
        #expect(SSHServerConfiguration.words("# UsePAM no").isEmpty)
    }
}

/// The image's sshd configuration as files, and what planning makes of it.
@Suite struct SSHPlanTests {
    let scratch = ScratchRoot("adjoin-ssh")
    var root: URL { scratch.url }

    func write(_ text: String, _ hostPath: String, mode: Int = 0o644) throws {
        let url = root.appendingPathComponent(String(hostPath.dropFirst()))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    }

    func text(_ hostPath: String) -> String? {
        try? String(contentsOf: root.appendingPathComponent(String(hostPath.dropFirst())), encoding: .utf8)
    }

    /// Debian 12's cloud image: the main file includes the drop-ins first, cloud-init's turns passwords off.
    func debianCloudImage(main: String = "Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\nUsePAM yes\n") throws {
        try write("", "/usr/sbin/sssd", mode: 0o755)
        try write("", "/usr/sbin/sshd", mode: 0o755)
        try write(main, "/etc/ssh/sshd_config")
        try write("PasswordAuthentication no\n", "/etc/ssh/sshd_config.d/50-cloud-init.conf", mode: 0o600)
        try write("passwd: files\ngroup: files\n", "/etc/nsswitch.conf")
        // A PAM stack that can be edited in place (no distro tool under a root).
        let stack =
            "auth sufficient pam_unix.so\nauth required pam_deny.so\naccount required pam_unix.so\npassword sufficient pam_unix.so\npassword required pam_deny.so\nsession required pam_unix.so\n"
        try write(stack, "/etc/pam.d/system-auth")
        try write(stack, "/etc/pam.d/password-auth")
    }

    func plan(_ settings: HostSettings = .lab()) throws -> HostPlan {
        try HostConfiguration(settings: settings, files: HostFiles(root: root.path)).plan(deadline: Deadline(seconds: 10))
    }

    @Test func cloudImageGetsTheDropInCheckedBySSHD() throws {
        try debianCloudImage()
        let plan = try plan()
        let change = try #require(plan.files.first { $0.path == "/etc/ssh/sshd_config.d/10-adjoin.conf" })
        #expect(change.old == nil)
        #expect(String(decoding: change.new, as: UTF8.self) == SSHDropIn.render([try GroupName("linux-admins")]))
        #expect(change.mode == 0o644)
        #expect(change.check == .sshd)
        #expect(plan.configuresSSH)
        #expect(plan.sshReload == SSHService.Reload.none)
        let description = plan.description(root: root.path)
        #expect(description.contains("--- /dev/null\n+++ /etc/ssh/sshd_config.d/10-adjoin.conf\n"))
        #expect(
            description.contains("would check /etc/ssh/sshd_config.d/10-adjoin.conf with sshd -t (nothing is reloaded under the root)\n"))
        #expect(description.contains("+Match Group \"linux-admins\"\n"))
        #expect(!plan.notes.contains { $0.contains("sshd") })
    }

    @Test func nothingForSSHWithoutGroupsWithoutSSHDOrWhenTurnedOff() throws {
        try debianCloudImage()
        #expect(try !plan(.lab(groups: [])).configuresSSH)
        var off = HostSettings.lab()
        off.configureSSH = false
        #expect(try !plan(off).configuresSSH)
        #expect(try !plan(off).files.contains { $0.path.hasPrefix("/etc/ssh/") })
        try FileManager.default.removeItem(at: root.appendingPathComponent("usr/sbin/sshd"))
        let noSSHD = try plan()
        #expect(!noSSHD.configuresSSH)
        #expect(noSSHD.notes.contains { $0.hasPrefix("sshd is not installed under \(root.path)") })
    }

    /// A main file that reads no drop-in (RHEL 8's) would need a global line of ours: not configured, and said so.
    @Test func mainFileWithoutTheDropInFolderIsNotConfiguredAndSaysSo() throws {
        try debianCloudImage(main: "PasswordAuthentication no\nUsePAM yes\nInclude /etc/ssh/other.d/*.conf\n")
        let plan = try plan()
        #expect(!plan.configuresSSH)
        #expect(!plan.files.contains { $0.path.hasPrefix("/etc/ssh/") })
        #expect(plan.notes.contains { $0.contains("does not include /etc/ssh/sshd_config.d/*.conf") })
        // A relative Include is taken from /etc/ssh, as sshd does.
        try write("Include sshd_config.d/*.conf\nUsePAM yes\n", "/etc/ssh/sshd_config")
        #expect(try self.plan().configuresSSH)
    }

    /// UsePAM is global and off by default in OpenSSH: said, never changed. A UsePAM in a Match block
    /// or after a global one does not count; one in an included file read first does.
    @Test func usePAMOffIsNotedNotChanged() throws {
        try debianCloudImage(main: "Include /etc/ssh/sshd_config.d/*.conf\nMatch User x\nUsePAM yes\n")
        #expect(try plan().notes.contains { $0.hasPrefix("sshd has UsePAM off") })
        try write("UsePAM no\n", "/etc/ssh/sshd_config.d/40-site.conf")
        try write("Include /etc/ssh/sshd_config.d/*.conf\nUsePAM yes\n", "/etc/ssh/sshd_config")
        let plan = try plan()
        #expect(plan.notes.contains { $0.hasPrefix("sshd has UsePAM off") })
        #expect(plan.configuresSSH)
        #expect(!plan.files.contains { $0.path == "/etc/ssh/sshd_config" })
        try write("Match Group x\nUsePAM no\n", "/etc/ssh/sshd_config.d/40-site.conf")
        #expect(try !self.plan().notes.contains { $0.hasPrefix("sshd has UsePAM off") })
    }

    /// What sshd -t rejects never replaces the live file: the old one stays, and the error has sshd's words.
    /// (This machine's real sshd checks the candidate; scripts/test installs openssh-server.)
    @Test func candidateThatSSHDRejectsLeavesTheOldFile() throws {
        try debianCloudImage()
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd"), "openssh-server must be installed")
        let old = "# the file before\n"
        try write(old, SSHDropIn.path)
        let configuration = HostConfiguration(settings: .lab(), files: HostFiles(root: root.path))
        var plan = HostPlan()
        plan.files = [
            FileChange(
                path: SSHDropIn.path, old: Array(old.utf8), new: Array("Match Group \"x\n\tPasswordAuthentication yes\n".utf8),
                mode: 0o644, check: .sshd)
        ]
        plan.sshReload = SSHService.Reload.none
        do {
            _ = try configuration.apply(plan, deadline: Deadline(seconds: 10))
            Issue.record("sshd -t accepted an unterminated quote")
        } catch {
            #expect(error.status == .configurationFailed)
            #expect(error.message.contains("sshd -t rejects"), "\(error.message)")
            #expect(error.message.contains("invalid quotes"), "\(error.message)")
        }
        #expect(text(SSHDropIn.path) == old)
        let left = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("etc/ssh/sshd_config.d").path)
        #expect(left.sorted() == ["10-adjoin.conf", "50-cloud-init.conf"], "a temporary file was left: \(left)")

        // The rendered drop-in passes the same check and is then in place.
        plan.files = try self.plan().files.filter { $0.path == SSHDropIn.path }
        _ = try configuration.apply(plan, deadline: Deadline(seconds: 10))
        #expect(text(SSHDropIn.path) == SSHDropIn.render([try GroupName("linux-admins")]))
    }

    /// A reload that fails puts the previous file back (or removes the new one) and fails the join
    /// with what the reload said. The reload here is systemctl on a machine where systemd does not run
    /// (as on the test machine): it really fails.
    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/run/systemd/system"), "would reload this machine's sshd"))
    func failedReloadPutsThePreviousFileBack() throws {
        try debianCloudImage()
        let files = HostFiles(root: root.path)
        let configuration = HostConfiguration(settings: .lab(), files: files)
        for old in [nil, "# an earlier drop-in\n"] {
            if let old { try write(old, SSHDropIn.path) }
            var plan = try self.plan()
            plan.files = plan.files.filter { $0.path == SSHDropIn.path }
            plan.sshReload = .systemd(unit: "ssh")
            do {
                _ = try configuration.apply(plan, deadline: Deadline(seconds: 10))
                Issue.record("the reload did not fail")
            } catch {
                #expect(error.status == .configurationFailed)
                #expect(error.message.contains("systemctl try-reload-or-restart ssh"), "\(error.message)")
                #expect(
                    error.message.hasSuffix("\(root.path)/etc/ssh/sshd_config.d/10-adjoin.conf is back as it was before"),
                    "\(error.message)")
            }
            #expect(text(SSHDropIn.path) == old)
        }
        // Nothing is kept to restore at leave for a file that was put back as it was.
        #expect(try files.keptOriginal(of: SSHDropIn.path) == nil)
    }

    /// A rerun with SSH turned off puts back what an earlier join replaced, and forgets it, as leave would.
    @Test func rerunWithSSHOffPutsTheEarlierFileBack() throws {
        try debianCloudImage()
        let files = HostFiles(root: root.path)
        for earlier in [nil, "# the image's own 10-adjoin.conf\n"] {
            if let earlier { try write(earlier, SSHDropIn.path) }
            _ = try HostConfiguration(settings: .lab(), files: files).apply(try plan(), deadline: Deadline(seconds: 10))
            #expect(text(SSHDropIn.path) == SSHDropIn.render([try GroupName("linux-admins")]))
            var off = HostSettings.lab()
            off.configureSSH = false
            let plan = try plan(off)
            #expect(!plan.configuresSSH)
            #expect(
                plan.description(root: root.path).contains(
                    "would \(earlier == nil ? "remove" : "put back as it was before the join") /etc/ssh/sshd_config.d/10-adjoin.conf (SSH is no longer configured)\n"
                ))
            let done = try HostConfiguration(settings: off, files: files).apply(plan, deadline: Deadline(seconds: 10))
            #expect(done.contains(SSHDropIn.path))
            #expect(text(SSHDropIn.path) == earlier)
            #expect(try files.keptOriginal(of: SSHDropIn.path) == nil)
            // And again: nothing left to do.
            #expect(try self.plan(off).description(root: root.path).contains("10-adjoin.conf") == false)
        }
    }
}

/// `status` on the sshd drop-in: as written, drifted, or there where the join wrote none.
@Suite struct SSHDriftTests {
    @Test func driftInTheDropInIsReported() throws {
        let scratch = ScratchRoot("adjoin-sshdrift")
        defer { scratch.remove() }
        let root = scratch.url
        let files = HostFiles(root: root.path)
        func problems(_ ssh: Bool) throws -> [String] {
            try ConfigurationCheck.problems(
                domain: "corp.example.com", realm: "CORP.EXAMPLE.COM",
                access: LoginAccess(allowedGroups: ["linux-admins"], sudoGroup: nil, ssh: ssh), files: files
            )
            .filter { $0.contains("sshd_config.d") }
        }
        #expect(
            try problems(true) == [
                "/etc/ssh/sshd_config.d/10-adjoin.conf is missing (SSH logins by AD password and Kerberos for linux-admins)"
            ])
        #expect(try problems(false) == [])
        try files.write(Array(SSHDropIn.render([try GroupName("linux-admins")]).utf8), to: SSHDropIn.path, mode: 0o644)
        #expect(try problems(true) == [])
        #expect(try problems(false) == ["/etc/ssh/sshd_config.d/10-adjoin.conf exists, where the join configured no SSH logins"])
        try files.write(Array("Match Group *\n\tPasswordAuthentication yes\n".utf8), to: SSHDropIn.path, mode: 0o644)
        #expect(
            try problems(true) == [
                "/etc/ssh/sshd_config.d/10-adjoin.conf no longer says what the join wrote (SSH logins by AD password and Kerberos for linux-admins)"
            ])
    }
}
