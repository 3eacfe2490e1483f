#if canImport(Glibc)
    import Glibc
#endif
import AdjoinCore

/// sshd as host configuration sees it: whether it is installed, checking a candidate drop-in with
/// `sshd -t` before it is in place, and making a running sshd read its configuration again without
/// ending anyone's session.
public enum SSHService {
    static let program = "/usr/sbin/sshd"
    /// The drop-in a join writes, for `leave` (which puts back what was there) and `status`.
    public static let dropInPath = SSHDropIn.path
    /// Where sshd writes its pid unless PidFile says otherwise (Debian and RHEL alike; /var/run links to /run).
    static let defaultPidFile = "/run/sshd.pid"

    /// How a changed configuration reaches the running sshd.
    public enum Reload: Sendable, Equatable {
        /// `systemctl try-reload-or-restart UNIT`: a running sshd reloads (sessions stay: they are
        /// children of their own), a stopped one reads the files when it starts.
        case systemd(unit: String)
        /// No systemd: SIGHUP to the pid in sshd's pid file, if sshd runs; sshd re-executes itself.
        case signal(pidFile: String)
        /// Under --root: nothing runs there.
        case none

        var description: String {
            switch self {
            case .systemd(let unit): return "systemctl try-reload-or-restart \(unit)"
            case .signal(let pidFile): return "kill -HUP $(cat \(pidFile)), if sshd runs"
            case .none: return "nothing"
            }
        }
    }

    /// The way to reload sshd on this host. Debian and Ubuntu call the unit ssh, the RHEL family and Amazon Linux sshd.
    static func reload(files: HostFiles, pidFile: String?) -> Reload {
        guard files.root == "/" else { return .none }
        if files.exists("/run/systemd/system") {
            let debian = ["/lib/systemd/system/ssh.service", "/usr/lib/systemd/system/ssh.service", "/etc/systemd/system/ssh.service"]
            return .systemd(unit: debian.contains(where: files.exists) ? "ssh" : "sshd")
        }
        return .signal(pidFile: pidFile ?? defaultPidFile)
    }

    /// Makes sshd read its configuration again; returns what was done, for the output.
    static func run(_ reload: Reload, files: HostFiles, deadline: Deadline) throws(AdjoinError) -> String {
        switch reload {
        case .none:
            return "nothing is reloaded under \(files.root): sshd reads \(SSHDropIn.path) when that system starts it"
        case .systemd(let unit):
            let process = ChildProcess(["/usr/bin/systemctl", "try-reload-or-restart", unit])
            let result = try process.run(deadline: deadline)
            guard result.succeeded else {
                throw AdjoinError(
                    .configurationFailed, "\(process.commandLine) failed (exit \(result.exitStatus)): \(result.output.trimmingWhitespace())"
                )
            }
            return "reloaded sshd (\(process.commandLine))"
        case .signal(let pidFile):
            guard let pid = runningPID(pidFile, files: files) else {
                return "no sshd is running: it reads \(SSHDropIn.path) when it starts"
            }
            guard kill(pid, SIGHUP) == 0 else {
                throw AdjoinError(.configurationFailed, "cannot send SIGHUP to sshd (pid \(pid)): \(Errno.current)")
            }
            return "reloaded sshd (SIGHUP to pid \(pid))"
        }
    }

    /// After `leave` put the drop-in back: sshd reloaded so that the groups lose what the join gave them.
    public static func reloadAfterLeave(files: HostFiles, deadline: Deadline) throws(AdjoinError) -> String? {
        guard files.root == "/", files.exists(program) else { return nil }
        let pidFile = (try? SSHServerConfiguration(files: files))?.globalValue("PidFile")
        return try run(reload(files: files, pidFile: pidFile), files: files, deadline: deadline)
    }

    /// The pid in the pid file, when that process exists and is sshd (a stale file names another).
    static func runningPID(_ pidFile: String, files: HostFiles) -> pid_t? {
        guard let bytes = try? files.read(pidFile),
            let pid = pid_t(String(decoding: bytes.filter { $0 >= 0x30 && $0 <= 0x39 }, as: UTF8.self)), pid > 0,
            let comm = try? HostFiles().read("/proc/\(pid)/comm")
        else { return nil }
        return String(decoding: comm, as: UTF8.self).trimmingWhitespace == "sshd" ? pid : nil
    }

    /// `sshd -t` on the whole configuration with the candidate in place of the live drop-in: a
    /// temporary main file that includes the candidate, then the real main file (which includes the
    /// live drop-in too: sshd's check is about syntax and what each keyword allows, and both are read).
    /// Under --root the candidate is checked alone by this host's sshd: the root's own Include lines
    /// name paths of that system. sshd checks its host keys and its privilege separation folder after
    /// it has read and checked every line; at boot, before sshd first ran, those may not exist yet,
    /// and that says nothing about the configuration.
    static func check(candidate: String, files: HostFiles, deadline: Deadline) throws(AdjoinError) -> String? {
        let sshd = files.root == "/" ? program : (ChildProcess.locate("sshd") ?? "")
        guard access(sshd, X_OK) == 0 else {
            return "this host has no sshd to check \(SSHDropIn.path) with: written unchecked"
        }
        var main = "Include " + candidate + "\n"
        if files.root == "/" { main += "Include " + SSHServerConfiguration.mainPath + "\n" }
        let mainPath = candidate + ".main~"
        try writeScratch(main, to: mainPath)
        defer { unlink(mainPath) }
        let result = try ChildProcess([sshd, "-t", "-f", mainPath]).run(deadline: deadline)
        if result.succeeded { return nil }
        let lines = result.output.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        let notYetSetUp = [
            "Missing privilege separation directory", "Unable to load host key", "no hostkeys available", "Could not load host key",
        ]
        if !lines.isEmpty, lines.allSatisfy({ line in notYetSetUp.contains { line.contains($0) } }) {
            return "sshd accepts \(SSHDropIn.path) (it is not set up to run yet: \(lines.joined(separator: "; ")))"
        }
        throw AdjoinError(
            .configurationFailed,
            "sshd -t rejects the configuration with \(SSHDropIn.path): \(lines.joined(separator: "; ").replacing(candidate, with: SSHDropIn.path))"
        )
    }

    /// A small file of adjoin's own beside the candidate (a name sshd's drop-in glob passes by), gone after the check.
    private static func writeScratch(_ text: String, to path: String) throws(AdjoinError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw AdjoinError(.unknownError, "cannot create \(path): \(Errno.current)") }
        defer { close(descriptor) }
        let written = Array(text.utf8).withUnsafeBytes { (try? POSIX.writeAll(descriptor, $0)) != nil }
        guard written else { throw AdjoinError(.unknownError, "cannot write \(path): \(Errno.current)") }
    }
}
