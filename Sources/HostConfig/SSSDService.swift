#if canImport(Glibc)
    import Glibc
#endif
import AdjoinCore

/// sssd as `leave` and `status` see it: whether it runs, stopping it, and emptying its caches.
public enum SSSDService {
    /// Where sssd's monitor writes its pid (Debian and RHEL build it with /var/run, a link to /run).
    static let pidFiles = ["/run/sssd.pid", "/var/run/sssd.pid"]
    /// The cache databases (users, groups, credentials, timestamps) and the fast in-memory caches
    /// that NSS clients map: both would otherwise keep answering for the domain that was left.
    static let cacheDirectories = ["/var/lib/sss/db", "/var/lib/sss/mc"]

    /// The pid of the running sssd monitor, if there is one (live host only: under --root nothing runs).
    public static func runningPID(files: HostFiles) -> pid_t? {
        guard files.root == "/" else { return nil }
        for pidFile in pidFiles {
            guard let bytes = try? files.read(pidFile),
                let pid = pid_t(String(decoding: bytes.filter { $0 >= 0x30 && $0 <= 0x39 }, as: UTF8.self)), pid > 0
            else { continue }
            if isLiveSSSD(pid) { return pid }
        }
        return nil
    }

    /// Stops sssd: through systemd where it runs, else by signalling the monitor (which stops its
    /// responders) and waiting, within the deadline, for it to end. Returns what it did, for the output.
    public static func stop(files: HostFiles, deadline: Deadline) throws(AdjoinError) -> String? {
        guard files.root == "/" else { return nil }
        if files.exists("/run/systemd/system") {
            let result = try ChildProcess(["/usr/bin/systemctl", "stop", "sssd"]).run(deadline: deadline)
            guard result.succeeded else {
                throw AdjoinError(
                    .configurationFailed, "systemctl stop sssd failed (exit \(result.exitStatus)): \(result.output.trimmingWhitespace())")
            }
            return "stopped sssd (systemctl stop sssd)"
        }
        guard let pid = runningPID(files: files) else { return nil }
        kill(pid, SIGTERM)
        while isLiveSSSD(pid) {
            guard !deadline.isExpired else {
                throw .timeout("sssd (pid \(pid)) did not stop within the time budget")
            }
            // No way to wait for a process that is not our child but to look again: every 20 ms.
            _ = poll(nil, 0, 20)
        }
        return "stopped sssd (pid \(pid))"
    }

    /// Removes sssd's cache files; returns how many. sssd must not be running.
    public static func flushCache(files: HostFiles) throws(AdjoinError) -> Int {
        var removed = 0
        for directory in cacheDirectories {
            for file in try files.files(in: directory) where try files.remove(file) { removed += 1 }
        }
        return removed
    }

    /// A process of that pid exists, is not a zombie (a test's own child, not yet reaped), and is sssd.
    static func isLiveSSSD(_ pid: pid_t) -> Bool {
        guard let bytes = try? HostFiles().read("/proc/\(pid)/stat") else { return false }
        let stat = String(decoding: bytes, as: UTF8.self)
        // "PID (COMM) STATE ...": the name can hold spaces and parentheses, so split at the last ')'.
        guard let close = stat.lastIndex(of: ")"), let open = stat.firstIndex(of: "(") else { return false }
        let name = stat[stat.index(after: open)..<close]
        let state = stat[stat.index(after: close)...].trimmingWhitespace().first
        return name == "sssd" && state != "Z" && state != "X"
    }
}
