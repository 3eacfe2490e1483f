import AdjoinCore

/// systemd units a join turns on (oddjobd, where it makes home directories), and a leave turns off
/// again when the join was the one that enabled them. On a running systemd, `systemctl`; in a system
/// under --root, `systemctl --root`, which edits that system's unit links without a running systemd.
public enum ServiceUnits {
    static let systemctl = "/usr/bin/systemctl"

    static func systemdRuns(_ files: HostFiles) -> Bool { files.root == "/" && files.exists("/run/systemd/system") }

    /// Whether the unit is enabled now; nil when that cannot be told (no systemctl, or a running system without systemd).
    static func isEnabled(_ unit: String, files: HostFiles) -> Bool? {
        guard let command = command(["is-enabled", unit], files: files) else { return nil }
        guard let result = try? ChildProcess(command).run(deadline: Deadline(seconds: 5)) else { return nil }
        return result.succeeded
    }

    /// The command that enables (and, on a running systemd, starts) the unit.
    static func enableCommand(_ unit: String, files: HostFiles) -> [String]? {
        systemdRuns(files) ? [systemctl, "enable", "--now", unit] : command(["enable", unit], files: files)
    }

    /// Turns off a unit the join enabled; returns what was done, for leave's output.
    public static func disable(_ unit: String, files: HostFiles, deadline: Deadline) throws(AdjoinError) -> String {
        let arguments = systemdRuns(files) ? ["disable", "--now", unit] : ["disable", unit]
        guard let command = command(arguments, files: files) else {
            return "the join enabled \(unit), but systemd does not run here: disable it yourself (systemctl disable --now \(unit))"
        }
        let result = try ChildProcess(command).run(deadline: deadline)
        guard result.succeeded else {
            throw AdjoinError(
                .configurationFailed,
                "\(command.joined(separator: " ")) failed (exit \(result.exitStatus)): \(result.output.trimmingWhitespace())")
        }
        return "disabled \(unit), which the join had enabled (\(command.joined(separator: " ")))"
    }

    /// systemctl with `arguments` for this system: as is where systemd runs, with --root under a root;
    /// nil on a running system without systemd (a container), where nothing would start the unit anyway.
    private static func command(_ arguments: [String], files: HostFiles) -> [String]? {
        if systemdRuns(files) { return [systemctl] + arguments }
        guard files.root != "/", let tool = ChildProcess.locate("systemctl") else { return nil }
        return [tool, "--root=\(files.root)"] + arguments
    }
}
