#if canImport(Glibc)
    import Glibc
#endif
import AdjoinCore

/// Host configuration after a join, as realm + sssd would leave it: krb5.conf, sssd.conf, NSS, PAM
/// (through the distro's tool), and optionally sudoers and DNS. Every file is written atomically,
/// owned by root with its proper mode, its pre-adjoin version kept (see HostFiles), and only when its
/// content would change, so a rerun with the same settings changes nothing.
public struct HostConfiguration: Sendable {
    public let settings: HostSettings
    public let files: HostFiles
    public let progress: ProgressSink

    public init(settings: HostSettings, files: HostFiles, progress: @escaping ProgressSink = { _ in }) {
        self.settings = settings
        self.files = files
        self.progress = progress
    }

    /// Reads the host and decides every change; writes nothing and runs no program that changes anything.
    public func plan(deadline: Deadline) throws(AdjoinError) -> HostPlan {
        guard files.exists("/usr/sbin/sssd") else {
            throw AdjoinError(
                .configurationFailed,
                "sssd is not installed\(files.root == "/" ? "" : " under \(files.root)"): install sssd-ad, libnss-sss and libpam-sss (Debian, Ubuntu) or sssd-ad and authselect (RHEL, Amazon Linux), or join with --no-configure"
            )
        }
        var plan = HostPlan()
        try add(&plan, KerberosConfiguration.path, mode: 0o644) { KerberosConfiguration.render(settings, over: $0) }
        try add(&plan, SSSDConfiguration.path, mode: 0o600) { SSSDConfiguration.render(settings, over: $0) }
        plan.pam = try PAMConfiguration.plan(files: files, deadline: deadline)
        switch plan.pam {
        case .tool(let run) where run.rewrites.contains(NameServiceSwitch.path):
            break  // authselect writes nsswitch.conf itself
        default:
            try add(&plan, NameServiceSwitch.path, mode: 0o644) { NameServiceSwitch.render(over: $0) }
        }
        if case .tool(let run) = plan.pam {
            for (path, content) in run.profileFiles {
                try add(&plan, path, mode: 0o644) { _ in content }
            }
        }
        if case .tool(let run) = plan.pam, run.process.arguments.contains("adjoin-mkhomedir") {
            try add(&plan, PAMConfiguration.mkhomedirProfilePath, mode: 0o644) { _ in PAMConfiguration.mkhomedirProfile }
        }
        if case .editFiles(let stacks) = plan.pam {
            for stack in stacks {
                let edited = try PAMConfiguration.edited(stack, files: files)
                try add(&plan, stack, mode: 0o644) { _ in edited }
            }
        }
        if let group = settings.sudoGroup {
            try add(&plan, SudoersDropIn.path, mode: 0o440, check: .visudo) { _ in SudoersDropIn.render(group) }
        }
        if try !planSSH(&plan) { try planSSHRemoval(&plan) }
        if settings.configureDNS { try planDNS(&plan) }
        planRestarts(&plan)
        return plan
    }

    /// Carries out a plan; returns the host paths it changed and the tools it ran.
    public func apply(_ plan: HostPlan, deadline: Deadline) throws(AdjoinError) -> [String] {
        var done: [String] = []
        for change in plan.files {
            if try files.write(change.new, to: change.path, mode: change.mode, check: checker(change.check, deadline: deadline)) {
                progress("Wrote \(files.path(change.path))")
                done.append(change.path)
            }
        }
        switch plan.pam {
        case .alreadyDone(let reason):
            if !reason.isEmpty { progress(reason) }
        case .editFiles(let stacks):
            // Said only when a stack file changed: a rerun that found them edited already has nothing to tell.
            if stacks.contains(where: done.contains) {
                progress("No pam-auth-update or authselect can run for this system: edited the PAM stack files directly")
            }
        case .tool(let run):
            for path in run.rewrites {
                try files.keepOriginal(of: path)
                try files.listParentsToBeMade(of: path)
            }
            if !run.dropped.isEmpty {
                progress("The sssd profile has no \(run.dropped.joined(separator: ", ")) (selected before): not kept")
            }
            try runTool(run.process, deadline: deadline)
            done.append(run.process.commandLine)
            for path in run.verify where try !PAMConfiguration.mentions(files, path, "pam_sss.so") {
                // pam-auth-update leaves files alone that were edited by hand; fall back to editing them.
                progress("\(run.process.arguments[0]) left \(path) without pam_sss (edited by hand?): adding it directly")
                try files.write(Array(try PAMConfiguration.edited(path, files: files).utf8), to: path, mode: 0o644)
                done.append(path)
            }
        }
        if !done.isEmpty {
            for unit in plan.enables {
                guard let command = ServiceUnits.enableCommand(unit, files: files) else { continue }
                try runTool(ChildProcess(command), deadline: deadline)
            }
            for unit in plan.restarts {
                try runTool(ChildProcess(["/usr/bin/systemctl", "restart", unit]), deadline: deadline)
            }
        }
        if let kept = plan.sshRestore, try files.restore(kept) {
            progress(
                kept.content == nil
                    ? "Removed \(files.path(kept.hostPath)) (SSH is no longer configured)"
                    : "Put back \(files.path(kept.hostPath)) as it was before the join (SSH is no longer configured)")
            done.append(kept.hostPath)
        }
        if let reload = plan.sshReload, done.contains(SSHDropIn.path) {
            try reloadSSH(reload, after: plan.files.first { $0.path == SSHDropIn.path }, deadline: deadline)
        }
        for note in plan.notes { progress(note) }
        return done
    }

    /// sshd reads the new drop-in; if it cannot, the previous file goes back, so that the next
    /// start of sshd finds what worked before, and the join fails with sshd's (or systemctl's) words.
    /// `change`: the drop-in written (nil: the earlier one was put back, and stays so).
    private func reloadSSH(_ reload: SSHService.Reload, after change: FileChange?, deadline: Deadline) throws(AdjoinError) {
        do throws(AdjoinError) {
            let done = try SSHService.run(reload, files: files, deadline: deadline)
            progress(done.prefix(1).uppercased() + done.dropFirst())
        } catch {
            guard let change else { throw error }
            if let kept = try files.keptOriginal(of: change.path), kept.content == change.old {
                try files.restore(kept)
            } else if let old = change.old {
                try files.write(old, to: change.path, mode: files.mode(change.path) ?? change.mode)
            }
            throw AdjoinError(.configurationFailed, "\(error.message); \(files.path(change.path)) is back as it was before")
        }
    }

    private func checker(_ check: FileCheck?, deadline: Deadline) -> ((String) throws(AdjoinError) -> Void)? {
        switch check {
        case .visudo:
            return { path throws(AdjoinError) in try visudoCheck(path, deadline: deadline) }
        case .sshd:
            return { path throws(AdjoinError) in
                if let note = try SSHService.check(candidate: path, files: files, deadline: deadline) { progress(note) }
            }
        case nil:
            return nil
        }
    }

    /// A distro tool whose failure ends configuration, with what it printed as the reason.
    private func runTool(_ process: ChildProcess, deadline: Deadline) throws(AdjoinError) {
        progress("Running \(process.commandLine)")
        let result = try process.run(deadline: deadline)
        guard result.succeeded else {
            throw AdjoinError(
                .configurationFailed, "\(process.commandLine) failed (exit \(result.exitStatus)): \(result.output.trimmingWhitespace())")
        }
    }

    // MARK: - Planning helpers

    private func add(
        _ plan: inout HostPlan, _ path: String, mode: mode_t, check: FileCheck? = nil,
        render: (String?) -> String
    ) throws(AdjoinError) {
        let old = try files.read(path)
        let new = Array(render(old.map { String(decoding: $0, as: UTF8.self) }).utf8)
        guard files.differs(new, from: old, at: path, mode: mode) else { return }
        plan.files.append(FileChange(path: path, old: old, new: new, mode: mode, check: check))
    }

    private func planDNS(_ plan: inout HostPlan) throws(AdjoinError) {
        guard !settings.dnsServers.isEmpty else {
            throw AdjoinError(.invalidInput, "--configure-dns needs the DCs' IP addresses (--dns-server or --domain-controller as an IP)")
        }
        let resolvedRuns = files.exists("/run/systemd/resolve/resolv.conf")
        if files.root == "/" && !resolvedRuns {
            plan.notes.append(
                "systemd-resolved is not running, so --configure-dns wrote nothing: send \(settings.domain) to \(settings.dnsServers.joined(separator: ", ")) yourself (a nameserver line in /etc/resolv.conf, or a Route 53 Resolver forwarding rule)"
            )
            return
        }
        try add(&plan, ResolvedDropIn.path, mode: 0o644) { _ in ResolvedDropIn.render(settings) }
        if resolvedRuns && systemdRuns { plan.restarts.append("systemd-resolved") }
    }

    /// The allowed groups may log in to sshd with their AD password and by Kerberos (SSHDropIn). Nothing
    /// when no group may log in, when sshd is not installed, or when its main file does not read the
    /// drop-in folder (then a global line of ours would be needed, which changes everyone's rules).
    /// Returns whether sshd is configured.
    private func planSSH(_ plan: inout HostPlan) throws(AdjoinError) -> Bool {
        guard settings.configureSSH, !settings.allowedGroups.isEmpty else { return false }
        let under = files.root == "/" ? "" : " under \(files.root)"
        guard files.exists(SSHService.program) else {
            plan.notes.append(
                "sshd is not installed\(under): SSH is not configured (install openssh-server and join again for SSH logins by AD password and Kerberos)"
            )
            return false
        }
        let sshd = try SSHServerConfiguration(files: files)
        guard sshd.includesDropIn else {
            plan.notes.append(
                "\(SSHServerConfiguration.mainPath)\(under) does not include \(SSHDropIn.directory)/*.conf, so SSH logins by AD password and Kerberos are not configured: "
                    + "add `Include \(SSHDropIn.directory)/*.conf` at its top (as Debian, Ubuntu, Amazon Linux 2023 and RHEL 9 ship it) and join again"
            )
            return false
        }
        // A global keyword: turning it on would change every user's rules, so it is left to the administrator.
        if sshd.globalValue("UsePAM")?.lowercased() != "yes" {
            plan.notes.append(
                "sshd has UsePAM off\(under): AD passwords cannot be checked over SSH (PAM and sssd check them), only Kerberos logins work; "
                    + "set `UsePAM yes` in \(SSHServerConfiguration.mainPath) yourself (it applies to every user)")
        }
        var keysFromDirectory = false
        if settings.sshPublicKeyAttribute != nil {
            if files.exists(SSHDropIn.authorizedKeysCommand) {
                keysFromDirectory = true
            } else {
                plan.notes.append(
                    "\(SSHDropIn.authorizedKeysCommand) is not installed\(under): SSH keys from the directory are not offered to sshd (install sssd-common, or sssd's ssh tools, and join again)"
                )
            }
        }
        try add(&plan, SSHDropIn.path, mode: 0o644, check: .sshd) { _ in
            SSHDropIn.render(settings.allowedGroups, keysFromDirectory: keysFromDirectory)
        }
        plan.configuresSSH = true
        plan.sshReload = SSHService.reload(files: files, pidFile: sshd.globalValue("PidFile"))
        return true
    }

    /// A rerun that no longer configures sshd (`--no-configure-ssh`, no group left) puts back the file
    /// an earlier join wrote, as leave would, so that the groups lose what that join gave them.
    private func planSSHRemoval(_ plan: inout HostPlan) throws(AdjoinError) {
        guard files.exists(SSHDropIn.path), let kept = try files.keptOriginal(of: SSHDropIn.path) else { return }
        plan.sshRestore = kept
        if files.exists(SSHService.program) {
            plan.sshReload = SSHService.reload(files: files, pidFile: try SSHServerConfiguration(files: files).globalValue("PidFile"))
        }
    }

    private func planRestarts(_ plan: inout HostPlan) {
        if usesOddjob(plan) {
            // Recorded only when the join is what turns it on: leave then turns it off, and leaves alone
            // an oddjobd that was enabled before (another service of the host may rely on it).
            let enabledBefore = ServiceUnits.isEnabled("oddjobd", files: files)
            if systemdRuns {
                plan.enables.append("oddjobd")
                if enabledBefore == false { plan.enabledUnits.append("oddjobd") }
            } else if files.root != "/", let enabledBefore {
                if enabledBefore {
                    plan.notes.append("home directories are made by oddjobd (pam_oddjob_mkhomedir), enabled in \(files.root) already")
                } else {
                    plan.enables.append("oddjobd")
                    plan.enabledUnits.append("oddjobd")
                    plan.notes.append(
                        "home directories are made by oddjobd (pam_oddjob_mkhomedir): enabled in \(files.root), it starts with that system")
                }
            } else {
                plan.notes.append("home directories are made by oddjobd (pam_oddjob_mkhomedir): enable it (systemctl enable --now oddjobd)")
            }
        }
        if systemdRuns {
            plan.restarts.append("sssd")
        } else if files.root == "/" {
            plan.notes.append("systemd is not running here, so sssd was not restarted: start it yourself (sssd -D)")
        } else {
            plan.notes.append("nothing is restarted under \(files.root): sssd starts with that system")
        }
    }

    /// pam_oddjob_mkhomedir asks oddjobd for the home directory: authselect's sssd profile, or the
    /// stack files edited, on a system that has oddjob-mkhomedir (pam-auth-update's profile uses pam_mkhomedir).
    private func usesOddjob(_ plan: HostPlan) -> Bool {
        guard HomeDirectoryCreation.detect(files: files) == .oddjob else { return false }
        switch plan.pam {
        case .tool(let run): return run.rewrites.contains(NameServiceSwitch.path)
        case .editFiles: return true
        case .alreadyDone: return false
        }
    }

    private var systemdRuns: Bool { files.root == "/" && files.exists("/run/systemd/system") }

    private func visudoCheck(_ path: String, deadline: Deadline) throws(AdjoinError) {
        // Under --root, the building host's visudo checks the file: sudoers syntax is the same.
        guard let visudo = ChildProcess.locate("visudo") else {
            progress("visudo is not installed: \(SudoersDropIn.path) written without a syntax check")
            return
        }
        let result = try ChildProcess([visudo, "-c", "-q", "-f", path]).run(deadline: deadline)
        guard result.succeeded else {
            throw AdjoinError(
                .configurationFailed, "visudo rejects the sudoers drop-in for --sudo-group: \(result.output.trimmingWhitespace())")
        }
    }
}
