#if canImport(Glibc)
    import Glibc
#endif

/// A host file's pre-adjoin state as HostFiles kept it: its bytes and mode, or that it did not exist.
public struct KeptOriginal: Sendable, Equatable {
    public let hostPath: String
    /// nil: the file did not exist before adjoin wrote it.
    public let content: [UInt8]?
    public let mode: mode_t
}

/// The other half of HostFiles' kept originals: what `leave` reads and puts back.
extension HostFiles {
    /// Every file adjoin changed since its originals were kept, with those originals, sorted by path.
    public func keptOriginals() throws(AdjoinError) -> [KeptOriginal] {
        var hostPaths: Set<String> = []
        for relative in try FileIO.regularFiles(under: backupPath("")) {
            // A temporary file a killed run left is nobody's original.
            if FileIO.isTemporary(relative[(relative.lastIndex(of: "/").map { relative.index(after: $0) } ?? relative.startIndex)...])
                || relative.hasSuffix(Self.keptModeSuffix)
            {
                continue
            }
            hostPaths.insert(relative.hasSuffix(".absent") ? String(relative.dropLast(".absent".count)) : relative)
        }
        var kept: [KeptOriginal] = []
        for hostPath in hostPaths.sorted() {
            if let original = try original(keptFor: hostPath) { kept.append(original) }
        }
        return kept
    }

    /// The kept pre-adjoin version of the file (or the mark that there was none), if there is one.
    public func keptOriginal(of hostPath: String) throws(AdjoinError) -> KeptOriginal? {
        try original(keptFor: try resolved(hostPath))
    }

    /// What is kept for a (resolved) host path: the `.absent` mark, else the copy with its mode.
    private func original(keptFor hostPath: String) throws(AdjoinError) -> KeptOriginal? {
        let backup = backupPath(hostPath)
        if FileIO.exists(backup + ".absent") { return KeptOriginal(hostPath: hostPath, content: nil, mode: 0) }
        guard let content = try FileIO.read(backup) else { return nil }
        // The copy is owner-only; a wider original mode is beside it (an older adjoin kept the mode on the copy).
        let recorded = try FileIO.read(backup + Self.keptModeSuffix).flatMap { mode_t(String(decoding: $0, as: UTF8.self), radix: 8) }
        return KeptOriginal(hostPath: hostPath, content: content, mode: recorded.map { $0 & 0o7777 } ?? FileIO.mode(backup) ?? 0o644)
    }

    /// Puts a file back as it was before adjoin, byte for byte and with its mode, or removes it when it
    /// did not exist; then forgets the kept copy, so that a later join keeps the file as it is then.
    /// Returns whether the host file changed.
    @discardableResult
    public func restore(_ original: KeptOriginal) throws(AdjoinError) -> Bool {
        let target = path(original.hostPath)
        var changed = false
        var info = stat()
        if lstat(target, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
            // Originals are kept by the path of the file itself, never of a link (see `resolved`): a link
            // here is one a tool made since (authselect's /etc/pam.d/system-auth, in place of the file
            // that was there before its first selection). The file comes back in its place.
            if let content = original.content {
                try FileIO.replace(target, with: content, mode: original.mode)
            } else {
                unlink(target)
            }
            changed = true
        } else if let content = original.content {
            if differs(content, from: try FileIO.read(target), at: original.hostPath, mode: original.mode) {
                try FileIO.createDirectories(parentOf: target, mode: 0o755)
                try FileIO.replace(target, with: content, mode: original.mode)
                changed = true
            }
        } else {
            changed = try remove(original.hostPath)
        }
        forgetOriginal(of: original.hostPath)
        return changed
    }

    /// Drops the kept copy of a file (after restoring it, or when the caller put it back itself).
    public func forgetOriginal(of hostPath: String) {
        forgetWritten(hostPath)
        let backup = backupPath(hostPath)
        unlink(backup)
        unlink(backup + Self.keptModeSuffix)
        unlink(backup + ".absent")
        // Empty folders of the backup tree go too, up to the backup root.
        var directory = FileIO.parent(of: backup)
        let top = backupPath("")
        while directory.count > top.count, rmdir(directory) == 0 {
            directory = FileIO.parent(of: directory)
        }
    }

    /// Removes a host file; returns whether there was one.
    @discardableResult
    public func remove(_ hostPath: String) throws(AdjoinError) -> Bool {
        let target = path(hostPath)
        if unlink(target) == 0 { return true }
        if Errno.current == .noSuchFile { return false }
        throw FileIO.failure("cannot remove", target)
    }

    /// Writes one of adjoin's own files (its join record): atomically, but with no original kept,
    /// since it is not a host file that leave must put back.
    public func writeOwn(_ bytes: [UInt8], to hostPath: String, mode: mode_t) throws(AdjoinError) {
        let target = path(hostPath)
        try createParents(of: hostPath, mode: 0o755)
        try FileIO.replace(target, with: bytes, mode: mode)
    }

    /// The file's permission bits, or nil when it does not exist.
    public func mode(_ hostPath: String) -> mode_t? {
        FileIO.mode(path(hostPath))
    }

    /// The regular files directly in a host directory (e.g. sssd's cache), as host paths.
    public func files(in hostDirectory: String) throws(AdjoinError) -> [String] {
        try FileIO.regularFiles(under: path(hostDirectory), recursive: false).map { hostDirectory + $0 }.sorted()
    }
}

extension FileIO {
    /// Paths ("/etc/krb5.conf") of the regular files below `directory`, relative to it; none when it does not exist.
    static func regularFiles(under directory: String, recursive: Bool = true) throws(AdjoinError) -> [String] {
        guard let stream = opendir(directory) else {
            if [.noSuchFile, .notADirectory].contains(Errno.current) { return [] }
            throw failure("cannot list", directory)
        }
        defer { closedir(stream) }
        var found: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name != ".", name != ".." else { continue }
            let full = directory + "/" + name
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFREG: found.append("/" + name)
            case S_IFDIR where recursive: found += try regularFiles(under: full).map { "/" + name + $0 }
            default: continue
            }
        }
        return found
    }
}
