import AdjoinCore

/// How PAM (and on authselect systems, NSS) gets pam_sss and home directory creation: through the
/// distro's own tool where there is one, else by careful editing of the stack files.
enum PAMConfiguration {
    /// A distro tool to run, and the files it rewrites (kept before it runs, for `leave`).
    struct ToolRun: Sendable {
        let process: ChildProcess
        let rewrites: [String]
        /// Files that must mention pam_sss afterwards, else the tool did not do its work.
        let verify: [String]
        /// Features of the previous selection that the new one cannot keep, for the output.
        var dropped: [String] = []
        /// Files of a custom authselect profile, written (as host files, kept for leave) before the tool runs.
        var profileFiles: [(path: String, content: String)] = []
    }

    enum Plan: Sendable {
        case alreadyDone(String)
        case tool(ToolRun)
        case editFiles([String])
    }

    static let debianStacks = [
        "/etc/pam.d/common-auth", "/etc/pam.d/common-account", "/etc/pam.d/common-password",
        "/etc/pam.d/common-session", "/etc/pam.d/common-session-noninteractive",
    ]
    static let redHatStacks = ["/etc/pam.d/system-auth", "/etc/pam.d/password-auth"]
    /// pam-auth-update's memory of the profiles it has seen and what it wrote: kept with the stacks, so
    /// that leave puts back its state too, and a later pam-auth-update run (a package upgrade) does not
    /// bring pam_sss back.
    static let debianToolState = [
        "/var/lib/pam/seen", "/var/lib/pam/auth", "/var/lib/pam/account", "/var/lib/pam/password",
        "/var/lib/pam/session", "/var/lib/pam/session-noninteractive",
    ]
    /// A pam-auth-update profile for systems whose libpam-runtime has none for pam_mkhomedir (before Debian 12).
    static let mkhomedirProfilePath = "/usr/share/pam-configs/adjoin-mkhomedir"
    static let mkhomedirProfile = """
        Name: Create home directory on first login (adjoin)
        Default: yes
        Priority: 0
        Session-Type: Additional
        Session-Final:
        \toptional\t\t\tpam_mkhomedir.so

        """

    /// Through the tool PAMTool chooses from what the system has: pam-auth-update (Debian, Ubuntu),
    /// authselect (RHEL, Fedora, Amazon Linux 2023), else by editing the stack files.
    static func plan(files: HostFiles, deadline: Deadline) throws(AdjoinError) -> Plan {
        let pamAuthUpdate = ChildProcess.locate("pam-auth-update", root: files.root)
        let authselect = ChildProcess.locate("authselect", root: files.root)
        switch PAMTool.choose(
            hasPAMAuthUpdate: pamAuthUpdate != nil, hasAuthselect: authselect != nil,
            authselectInUse: files.exists(PAMTool.authselectConfiguration))
        {
        case .pamAuthUpdate:
            if let pamAuthUpdate { return try planPAMAuthUpdate(pamAuthUpdate, files: files) }
        case .authselect:
            if let authselect { return try planAuthselect(authselect, files: files, deadline: deadline) }
        case .none:
            break
        }
        let stacks = files.exists("/etc/pam.d/common-auth") ? Array(debianStacks.prefix(4)) : redHatStacks
        guard stacks.allSatisfy({ files.exists($0) }) else {
            throw AdjoinError(
                .configurationFailed,
                "neither pam-auth-update nor authselect is installed, and \(stacks.joined(separator: ", ")) not all exist: configure PAM for pam_sss by hand"
            )
        }
        return .editFiles(stacks)
    }

    private static func planPAMAuthUpdate(_ tool: String, files: HostFiles) throws(AdjoinError) -> Plan {
        guard files.exists("/usr/share/pam-configs/sss") else {
            throw AdjoinError(
                .configurationFailed,
                "libpam-sss is not installed (its pam-auth-update profile /usr/share/pam-configs/sss is missing): apt-get install sssd-ad libnss-sss libpam-sss"
            )
        }
        let hasSSS = try mentions(files, "/etc/pam.d/common-auth", "pam_sss.so")
        let hasMkhomedir = try mentions(files, "/etc/pam.d/common-session", "pam_mkhomedir.so")
        if hasSSS && hasMkhomedir {
            return .alreadyDone("PAM already has pam_sss and pam_mkhomedir")
        }
        let mkhomedir = files.exists("/usr/share/pam-configs/mkhomedir") ? "mkhomedir" : "adjoin-mkhomedir"
        guard let command = inRoot(files, [tool, "--package", "--enable", "sss", mkhomedir], interpreter: "/usr/bin/perl") else {
            return .editFiles(Array(debianStacks.prefix(4)))
        }
        var process = ChildProcess(command)
        process.environment.append("DEBIAN_FRONTEND=noninteractive")
        return .tool(
            ToolRun(
                process: process, rewrites: debianStacks + debianToolState,
                verify: ["/etc/pam.d/common-auth", "/etc/pam.d/common-account"]))
    }

    /// The sssd profile with-mkhomedir where oddjob-mkhomedir is installed, else adjoin's custom profile
    /// based on it (AuthselectCustomProfile), whose files the plan writes before authselect runs.
    private static func planAuthselect(_ tool: String, files: HostFiles, deadline: Deadline) throws(AdjoinError) -> Plan {
        let custom = HomeDirectoryCreation.detect(files: files) == .pamMkhomedir
        let profile = custom ? AuthselectCustomProfile.id : AuthselectSelection.profile
        guard let current = inRoot(files, [tool, "current", "--raw"], interpreter: nil),
            let listFeatures = inRoot(files, [tool, "list-features", AuthselectSelection.profile], interpreter: nil),
            let select = inRoot(files, [tool, "select", profile], interpreter: nil)
        else {
            return .editFiles(redHatStacks)
        }
        // Nothing selected yet: `current` fails ("No existing configuration detected").
        let state = try ChildProcess(current).run(deadline: deadline)
        let words = state.succeeded ? AuthselectSelection.words(state.output) : []
        let features = try ChildProcess(listFeatures).run(deadline: deadline)
        guard features.succeeded else {
            throw AdjoinError(
                .configurationFailed,
                "\(listFeatures.joined(separator: " ")) failed (exit \(features.exitStatus)): \(features.output.trimmingWhitespace())")
        }
        let profileFiles = custom ? try AuthselectCustomProfile.render(files: files) : []
        var profileChanges = false
        for (path, content) in profileFiles where files.differs(Array(content.utf8), from: try files.read(path), at: path, mode: 0o644) {
            profileChanges = true
        }
        let supported = Set(AuthselectSelection.words(features.output))
        // Selected already; but a profile of adjoin's whose files change (an authselect update changed the
        // sssd profile) is selected again, so that authselect writes PAM from the new files.
        guard
            let selection = AuthselectSelection.select(current: words, supported: supported, profile: profile)
                ?? (profileChanges ? (Array(words.dropFirst()), []) : nil)
        else {
            return .alreadyDone("authselect already selects \(words.joined(separator: " "))")
        }
        // --force: a configuration not made by authselect is replaced. --nobackup: adjoin keeps the
        // originals itself (leave puts them back), so authselect leaves no backup folder behind.
        return .tool(
            ToolRun(
                process: ChildProcess(select + selection.features + ["--force", "--nobackup"]),
                rewrites: AuthselectSelection.links + AuthselectSelection.generated, verify: redHatStacks,
                dropped: selection.dropped, profileFiles: profileFiles))
    }

    /// The tool's command line for the configured system: as is on a live host; under --root, run inside
    /// it with chroot (so it uses the image's own state, such as pam-auth-update's debconf answers),
    /// which needs a complete system there. nil when there is none: the files are then edited instead.
    private static func inRoot(_ files: HostFiles, _ command: [String], interpreter: String?) -> [String]? {
        guard files.root != "/" else { return command }
        guard files.exists("/bin/sh"), interpreter.map({ files.exists($0) }) ?? true,
            let chroot = ChildProcess.locate("chroot")
        else { return nil }
        return [chroot, files.root] + command
    }

    /// The edited content of a stack file, for the file-editing fallback.
    static func edited(_ hostPath: String, files: HostFiles) throws(AdjoinError) -> String {
        let text = String(decoding: try files.read(hostPath) ?? [], as: UTF8.self)
        // Debian splits the stacks into one file per type; RHEL's files hold all four.
        let types: Set<String> =
            switch hostPath {
            case "/etc/pam.d/common-auth": ["auth"]
            case "/etc/pam.d/common-account": ["account"]
            case "/etc/pam.d/common-password": ["password"]
            case "/etc/pam.d/common-session": ["session"]
            default: ["auth", "account", "password", "session"]
            }
        do {
            return try PAMStackEditor.addSSS(to: text, types: types, home: HomeDirectoryCreation.detect(files: files))
        } catch {
            throw AdjoinError(.configurationFailed, "cannot safely add pam_sss to \(hostPath): \(error.reason)")
        }
    }

    static func mentions(_ files: HostFiles, _ hostPath: String, _ module: String) throws(AdjoinError) -> Bool {
        guard let bytes = try files.read(hostPath) else { return false }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").contains {
            !$0.trimmingWhitespace().hasPrefix("#") && $0.contains(module)
        }
    }
}
