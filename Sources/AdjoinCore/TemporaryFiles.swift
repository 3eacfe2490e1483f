#if canImport(Glibc)
    import Glibc
#endif

/// Where a file is written before it is renamed over its target, and how the ones a killed run left
/// are found again. Each name is unique (process id and random bits), so two writers never share
/// one, and hidden and ending in `~`, which the readers of adjoin's folders skip: sudo skips names
/// with a dot or ending in `~`, pam-auth-update names ending in `~`, sssd and systemd-resolved
/// anything not ending in `.conf`. PAM reads any file in /etc/pam.d as a service, whatever its name,
/// so a temporary file for a PAM file goes in the folder above (/etc, the same file system).
extension FileIO {
    static let temporaryPrefix = ".adjoin-tmp."
    /// The fixed name adjoin 0.1 used, beside the target; removed too when found.
    static let legacySuffix = ".adjoin-new"

    static func temporaryPath(for path: String) -> String {
        let name = path[(path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex)...]
        var random = SystemRandomNumberGenerator()
        let unique = String(getpid()) + "." + String(random.next() as UInt64, radix: 36)
        return stagingFolder(of: parent(of: path)) + "/" + temporaryPrefix + name + "." + unique + "~"
    }

    /// The folder that holds the temporary files for targets in `folder`.
    static func stagingFolder(of folder: String) -> String {
        folder == "/etc/pam.d" || folder.hasSuffix("/etc/pam.d") ? parent(of: folder) : folder
    }

    static func isTemporary(_ name: Substring) -> Bool {
        name.hasPrefix(temporaryPrefix) || name.hasSuffix(legacySuffix)
    }

    /// The names in a folder (none when it does not exist), and whether each is a folder.
    static func entries(of folder: String) -> [(name: String, isFolder: Bool)] {
        guard let stream = opendir(folder) else { return [] }
        defer { closedir(stream) }
        var found: [(String, Bool)] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != ".", name != ".." else { continue }
            var info = stat()
            guard lstat(folder + "/" + name, &info) == 0 else { continue }
            found.append((name, info.st_mode & S_IFMT == S_IFDIR))
        }
        return found
    }
}

extension HostFiles {
    /// Removes the temporary files a killed run left (runs hold the host lock, so none is in use):
    /// in adjoin's own folders, every folder below them (the kept originals, the written-content
    /// records), and the folders of every file it changed, which are the only places it writes.
    /// Returns their paths.
    @discardableResult
    public func removeLeftoverTemporaries() throws(AdjoinError) -> [String] {
        var folders: Set<String> = []
        var pending = [path("/var/lib/adjoin")]
        while let folder = pending.popLast() {
            folders.insert(folder)
            pending += FileIO.entries(of: folder).filter(\.isFolder).map { folder + "/" + $0.name }
        }
        for original in try keptOriginals() {
            folders.insert(FileIO.parent(of: path(original.hostPath)))
        }
        var removed: [String] = []
        for folder in Set(folders.map(FileIO.stagingFolder)).union(folders).sorted() {
            for entry in FileIO.entries(of: folder) where !entry.isFolder && FileIO.isTemporary(entry.name[...]) {
                if unlink(folder + "/" + entry.name) == 0 { removed.append(folder + "/" + entry.name) }
            }
        }
        return removed
    }
}
