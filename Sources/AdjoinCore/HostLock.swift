#if canImport(Glibc)
    import Glibc
#endif

/// One state-changing command (join, leave, rotate) at a time per host, that is per `--root`: an
/// exclusive flock(2) on `<root>/run/adjoin.lock`, taken before the command reads anything of the
/// host's and held until it ends. The kernel drops it when the process dies, however it dies, so a
/// killed run never leaves the host locked.
///
/// Why /run: it is where runtime locks belong (a tmpfs on every systemd host, empty after a boot),
/// and it is not /var/lib/adjoin, which leave removes with the rest of adjoin's state. The file
/// exists only while a command holds it: the holder unlinks it before it lets go, and a command
/// that then gets the lock on the unlinked file sees that the path no longer names it and starts
/// over, so two commands can never hold two different files. A --root without /run gets an empty
/// one, as every running system has (it is not removed again: a command that found it there could
/// be about to create its lock file in it).
public final class HostLock {
    public static let hostPath = "/run/adjoin.lock"

    private var descriptor: Int32
    private let path: String
    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { release() }

    /// Takes the lock, waiting for another command's until `waitUntil` (within the command's budget);
    /// BUSY when it is still held then.
    public static func acquire(
        _ files: HostFiles, waitUntil: ContinuousClock.Instant,
        progress: (String) -> Void
    ) throws(AdjoinError) -> HostLock {
        let path = files.path(hostPath)
        let folder = FileIO.parent(of: path)
        var announced = false
        while true {
            if !FileIO.exists(folder) { try FileIO.createDirectories(parentOf: path, mode: 0o755) }
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard descriptor >= 0 else { throw FileIO.failure("cannot open the host lock", path) }
            if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
                guard Errno.current == .wouldBlock else {
                    close(descriptor)
                    throw FileIO.failure("cannot lock", path)
                }
                if !announced {
                    progress("Waiting for another adjoin command on this host to finish (\(holder(descriptor)) holds \(path))")
                    announced = true
                }
                guard waitForLock(descriptor, until: waitUntil) else {
                    let who = holder(descriptor)
                    close(descriptor)
                    throw AdjoinError(
                        .busy,
                        "another adjoin command (\(who)) is changing this host and did not finish in time; "
                            + "nothing was done: try again when it has (\(path))")
                }
            }
            // Ours, unless the holder we waited for unlinked this file on its way out: then start over.
            var held = stat()
            var named = stat()
            if fstat(descriptor, &held) == 0, stat(path, &named) == 0, held.st_ino == named.st_ino, held.st_dev == named.st_dev {
                let pid = Array(String(getpid()).utf8)
                if ftruncate(descriptor, 0) == 0 { _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) } }
                return HostLock(descriptor: descriptor, path: path)
            }
            close(descriptor)
        }
    }

    /// Unlinks the file while still holding it, then lets go (see the type's comment).
    public func release() {
        guard descriptor >= 0 else { return }
        unlink(path)
        close(descriptor)
        descriptor = -1
    }

    /// The holder's process id, as it wrote it into the file.
    private static func holder(_ descriptor: Int32) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        let pid = count > 0 ? String(decoding: bytes[0..<count], as: UTF8.self) : ""
        return pid.isEmpty || !pid.allSatisfy(\.isNumber) ? "a process" : "process \(pid)"
    }

    /// Tries again and again until `until`, each pause twice the last, from 10 ms up to 100 ms, so the
    /// lock is taken at most 100 ms after its holder lets go. (A blocking flock(2) cut short by a
    /// SIGALRM is not reliable here: the kernel may deliver the signal to another thread of the
    /// process, and the wait would then outlast the budget.) Returns whether the lock was taken.
    private static func waitForLock(_ descriptor: Int32, until: ContinuousClock.Instant) -> Bool {
        var pause: Int64 = 10
        while true {
            do {
                _ = try POSIX.retrying("flock") { flock(descriptor, LOCK_EX | LOCK_NB) }
                return true
            } catch {
                guard error.errno == .wouldBlock else { return false }
            }
            let left = (until - .now).milliseconds
            guard left > 0 else { return false }
            poll(nil, 0, Int32(min(pause, left)))
            pause = min(pause * 2, 100)
        }
    }
}
