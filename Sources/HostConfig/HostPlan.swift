#if canImport(Glibc)
    import Glibc
#endif
import AdjoinCore

/// One file host configuration would write: what is there now and what would be.
public struct FileChange: Sendable {
    public let path: String
    public let old: [UInt8]?
    public let new: [UInt8]
    public let mode: mode_t
    /// How the new content is checked before it replaces anything (nil: it is not).
    let check: FileCheck?
}

/// A program that must accept a file before it is in place.
enum FileCheck: Sendable {
    /// `visudo -c -f`, for sudoers files.
    case visudo
    /// `sshd -t` on the whole configuration with the candidate drop-in (SSHService.check).
    case sshd
}

/// Everything host configuration would do, computed without changing anything: the input of both
/// `--dry-run` and the real run, so the two cannot disagree.
public struct HostPlan: Sendable {
    public internal(set) var files: [FileChange] = []
    var pam: PAMConfiguration.Plan = .alreadyDone("")
    /// systemd units to restart once files changed.
    var restarts: [String] = []
    /// systemd units to enable and start once files changed (oddjobd, where it makes home directories).
    var enables: [String] = []
    /// Of those, the units that were not enabled before: the join record keeps them, for leave to disable.
    public internal(set) var enabledUnits: [String] = []
    /// The drop-in for sshd is part of this configuration (written now or already in place), and how sshd is reloaded when it changes.
    public internal(set) var configuresSSH = false
    var sshReload: SSHService.Reload?
    /// The drop-in an earlier join wrote, to put back because this run no longer configures sshd.
    var sshRestore: KeptOriginal?
    /// What the user must do, or should know, because adjoin could not or did not.
    public internal(set) var notes: [String] = []

    /// The dry run's report: a diff per file, then the commands that would run.
    public func description(root: String) -> String {
        var text = ""
        for change in files {
            text += UnifiedDiff.make(
                old: change.old.map { String(decoding: $0, as: UTF8.self) },
                new: String(decoding: change.new, as: UTF8.self), path: change.path)
            if let old = change.old, old == change.new {
                text += "(content unchanged; owner or mode set to root, \(String(change.mode, radix: 8)))\n"
            }
        }
        if case .tool(let run) = pam { text += "would run: \(run.process.commandLine)\n" }
        if case .editFiles = pam {
            text += "no pam-auth-update or authselect can run for this system: the PAM files above would be edited directly\n"
        }
        if !files.isEmpty || isToolRun {
            for unit in enables { text += "would run: systemctl enable --now \(unit)\n" }
            for unit in restarts { text += "would run: systemctl restart \(unit)\n" }
        }
        if let sshRestore {
            text +=
                "would \(sshRestore.content == nil ? "remove" : "put back as it was before the join") \(sshRestore.hostPath) (SSH is no longer configured)\n"
        }
        if let sshReload, files.contains(where: { $0.path == SSHDropIn.path }) {
            text +=
                "would check \(SSHDropIn.path) with sshd -t"
                + (sshReload == .none ? " (nothing is reloaded under the root)\n" : ", then run: \(sshReload.description)\n")
        } else if let sshReload, sshRestore != nil, sshReload != .none {
            text += "would run: \(sshReload.description)\n"
        }
        for note in notes { text += "note: \(note)\n" }
        if files.isEmpty && !isToolRun && sshRestore == nil {
            text += "host configuration is already as adjoin would write it (root \(root))\n"
        }
        return text
    }

    var isToolRun: Bool {
        if case .tool = pam { return true }
        return false
    }
}
