#if canImport(Glibc)
    import Glibc
#endif

/// Files the agent owns on the host: written whole or not at all (temporary file, fsync, rename),
/// and before the first change the original is kept, byte for byte, so that `leave` can restore it.
///
/// Kept originals live under `<root>/var/lib/adjoin/backup/<original path>`. A file that did not exist
/// before is recorded by an empty `<that path>.absent` marker, so `leave` knows to remove it.
public struct HostFiles: Sendable {
    /// Everything is written under this directory (`--root`); "/" on a live host.
    public let root: String

    public init(root: String = "/") {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    /// The real path of a host path such as "/etc/krb5.keytab": always joined with a separator. Paths
    /// from users go through `HostPath.normalized` first, so none climbs out of the root.
    public func path(_ hostPath: String) -> String {
        let absolute = hostPath.hasPrefix("/") ? hostPath : "/" + hostPath
        return root == "/" ? absolute : root + absolute
    }

    public func backupPath(_ hostPath: String) -> String {
        path(backupHostPath(hostPath))
    }

    /// Beside a kept original whose mode gives the group or others any right: that mode, in octal.
    static let keptModeSuffix = ".adjoin-mode"

    func backupHostPath(_ hostPath: String) -> String {
        "/var/lib/adjoin/backup" + hostPath
    }

    public func exists(_ hostPath: String) -> Bool {
        (try? realPath(hostPath)).map(FileIO.exists) ?? false
    }

    public func read(_ hostPath: String) throws(AdjoinError) -> [UInt8]? {
        try FileIO.read(realPath(hostPath))
    }

    /// Whether writing `bytes` would change anything: the content, the mode, or (when run as root) the
    /// owner. `current` is the file's content as the caller already read it (nil: it does not exist).
    public func differs(_ bytes: [UInt8], from current: [UInt8]?, at hostPath: String, mode: mode_t) -> Bool {
        guard let target = try? realPath(hostPath) else { return true }
        guard let current, current == bytes, FileIO.mode(target) == mode else { return true }
        return FileIO.ownedByOther(target)
    }

    /// Writes `bytes` with `mode`, owned by root when run as root, unless the file already is exactly
    /// that; returns whether it changed. `check` sees the complete temporary file before it replaces
    /// the target (e.g. `visudo -c -f`), and a throw leaves the target as it was.
    @discardableResult
    public func write(
        _ bytes: [UInt8], to hostPath: String, mode: mode_t,
        check: ((String) throws(AdjoinError) -> Void)? = nil
    ) throws(AdjoinError) -> Bool {
        // A link is followed (inside the root), so the file it names is changed and kept, and the link stays.
        let hostPath = try resolved(hostPath)
        let target = path(hostPath)
        let current = try FileIO.read(target)
        guard differs(bytes, from: current, at: hostPath, mode: mode) else { return false }
        try keepOriginal(hostPath, current: current)
        try createParents(of: hostPath, mode: 0o755)
        try FileIO.replace(target, with: bytes, mode: mode, check: check)
        try recordWritten(hostPath, bytes)
        return true
    }

    /// Keeps the pre-adjoin content of a file that a distro tool is about to rewrite.
    public func keepOriginal(of hostPath: String) throws(AdjoinError) {
        let hostPath = try resolved(hostPath)
        try keepOriginal(hostPath, current: try FileIO.read(path(hostPath)))
    }

    /// Saves the file's pre-adjoin content once; later writes never replace that copy.
    ///
    /// The copy is readable by root alone whatever the original's mode: a keytab left 0644 by some
    /// tool is still a file of keys, and a copy of it should not add a second place to read them from.
    /// A mode with bits for the group or others is kept beside it (`.adjoin-mode`), written first, so
    /// that a copy is never there without the mode leave must give back.
    private func keepOriginal(_ hostPath: String, current: [UInt8]?) throws(AdjoinError) {
        let backup = backupPath(hostPath)
        guard FileIO.exists(backup) == false, FileIO.exists(backup + ".absent") == false else { return }
        try createParents(of: backupHostPath(hostPath), mode: 0o700)
        if let current {
            let mode = FileIO.mode(path(hostPath)) ?? 0o600
            let kept = mode & 0o700
            if kept != mode {
                try FileIO.replace(backup + Self.keptModeSuffix, with: Array(String(mode, radix: 8).utf8), mode: 0o600)
            } else {
                unlink(backup + Self.keptModeSuffix)
            }
            try FileIO.replace(backup, with: current, mode: kept)
        } else {
            try FileIO.replace(backup + ".absent", with: [], mode: 0o600)
        }
    }
}

/// The few system calls behind HostFiles, each turning errno into a message that names the file.
enum FileIO {
    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// True when run as root and the file is not owned by root: host configuration files must be.
    static func ownedByOther(_ path: String) -> Bool {
        var info = stat()
        guard geteuid() == 0, stat(path, &info) == 0 else { return false }
        return info.st_uid != 0 || info.st_gid != 0
    }

    static func mode(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    static func read(_ path: String) throws(AdjoinError) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if Errno.current == .noSuchFile { return nil }
            throw failure("cannot read", path)
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { (try? POSIX.read(descriptor, into: $0)) ?? -1 }
            if count < 0 { throw failure("cannot read", path) }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
        }
    }

    /// The folder a path is in, as text ("/etc/krb5.conf" -> "/etc", "/etc" -> "").
    static func parent(of path: String) -> String {
        String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
    }

    static func createDirectories(parentOf path: String, mode: mode_t) throws(AdjoinError) {
        var prefix = ""
        for component in path.split(separator: "/").dropLast() {
            prefix += "/" + component
            if mkdir(prefix, mode) != 0 && Errno.current != .fileExists { throw failure("cannot create directory", prefix) }
        }
    }

    /// A temporary file (see `temporaryPath`), created with `mode` from the start so the content is never
    /// readable by others, fsynced, renamed over the target, directory fsynced.
    static func replace(
        _ path: String, with bytes: [UInt8], mode: mode_t,
        check: ((String) throws(AdjoinError) -> Void)? = nil
    ) throws(AdjoinError) {
        let temporary = temporaryPath(for: path)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard descriptor >= 0 else { throw failure("cannot create", temporary) }
        let written = bytes.withUnsafeBytes { (try? POSIX.writeAll(descriptor, $0)) != nil }
        guard written else {
            let error = failure("cannot write", temporary)
            close(descriptor)
            unlink(temporary)
            throw error
        }
        // The umask may have narrowed `mode` at creation; set it exactly.
        if (geteuid() == 0 && fchown(descriptor, 0, 0) != 0) || fchmod(descriptor, mode) != 0 || fsync(descriptor) != 0 {
            let error = failure("cannot finish writing", temporary)
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        if let check {
            do throws(AdjoinError) {
                try check(temporary)
            } catch {
                unlink(temporary)
                throw error
            }
        }
        guard rename(temporary, path) == 0 else {
            let error = failure("cannot rename into place", path)
            unlink(temporary)
            throw error
        }
        let directory = parent(of: path)
        let directoryDescriptor = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    static func failure(_ what: String, _ path: String) -> AdjoinError {
        AdjoinError(.unknownError, "\(what) \(path): \(Errno.current.description)")
    }
}
