#if canImport(Glibc)
    import Glibc
#endif

/// Folders adjoin made on the host (for a file it wrote, for its kept originals, for its own state)
/// are listed as they are made, so that leave can take away exactly those, and only when empty.
/// The list is needed because a folder that existed before, however empty, is not adjoin's to remove.
extension HostFiles {
    public static let createdDirectoriesList = "/var/lib/adjoin/created-directories"

    /// Makes the missing folders above a host path, with `mode`, and lists them.
    func createParents(of hostPath: String, mode: mode_t) throws(AdjoinError) {
        let missing = missingDirectories(above: hostPath)
        guard !missing.isEmpty else { return }
        try FileIO.createDirectories(parentOf: path(hostPath), mode: mode)
        try list(missing)
    }

    /// Lists the missing folders above a host path that a distro tool adjoin runs is about to make
    /// (authselect's /etc/dconf/db/distro.d), so that leave takes them away with the tool's files.
    public func listParentsToBeMade(of hostPath: String) throws(AdjoinError) {
        let missing = missingDirectories(above: try resolved(hostPath))
        if !missing.isEmpty { try list(missing) }
    }

    private func list(_ directories: [String]) throws(AdjoinError) {
        let list = Self.createdDirectoriesList
        let listMissing = missingDirectories(above: list)
        try FileIO.createDirectories(parentOf: path(list), mode: 0o755)
        let listed = String(decoding: try FileIO.read(path(list)) ?? [], as: UTF8.self)
        let added = (directories + listMissing).map { $0 + "\n" }.joined()
        try FileIO.replace(path(list), with: Array((listed + added).utf8), mode: 0o644)
    }

    /// Removes the folders adjoin made, deepest first, once leave has taken its files away; a folder
    /// that something else has put files in stays. Returns the host paths removed.
    @discardableResult
    public func removeCreatedDirectories() throws(AdjoinError) -> [String] {
        let list = Self.createdDirectoriesList
        guard let bytes = try FileIO.read(path(list)) else { return [] }
        let listed = Set(
            String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init).filter {
                $0.hasPrefix("/") && !$0.split(separator: "/").contains("..")
            })
        try remove(list)
        return listed.sorted { $0.count > $1.count }.filter { rmdir(path($0)) == 0 }
    }

    /// The folders listed so far, in the order they were made.
    public func listedDirectories() throws(AdjoinError) -> [String] {
        String(decoding: try FileIO.read(path(Self.createdDirectoriesList)) ?? [], as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Takes back the folders listed after `earlier` (the list as an undone step found it), when they
    /// are empty; the list then holds what it held before, and goes when that was nothing. Folders an
    /// earlier step made stay listed for leave: the list is replaced whole, never removed, while it
    /// names any.
    public func removeDirectoriesListed(after earlier: [String]) throws(AdjoinError) {
        let listed = try listedDirectories()
        guard listed.count > earlier.count, Array(listed.prefix(earlier.count)) == earlier else { return }
        let added = listed.dropFirst(earlier.count).filter { $0.hasPrefix("/") && !$0.split(separator: "/").contains("..") }
        // With nothing listed before, the list's own folder may be among the added: the list goes first.
        if earlier.isEmpty { try remove(Self.createdDirectoriesList) }
        // A folder already gone (forgetOriginal takes empty backup folders with it) is removed too.
        let removed = Set(added.sorted { $0.count > $1.count }.filter { rmdir(path($0)) == 0 || !FileIO.exists(path($0)) })
        let remaining = earlier + added.filter { !removed.contains($0) }
        if earlier.isEmpty {
            if !remaining.isEmpty { try list(remaining) }
        } else {
            try FileIO.replace(path(Self.createdDirectoriesList), with: Array(remaining.map { $0 + "\n" }.joined().utf8), mode: 0o644)
        }
    }

    /// The folders above a host path that do not exist yet, deepest first.
    private func missingDirectories(above hostPath: String) -> [String] {
        var missing: [String] = []
        var directory = FileIO.parent(of: hostPath)
        while !directory.isEmpty, !FileIO.exists(path(directory)) {
            missing.append(directory)
            directory = FileIO.parent(of: directory)
        }
        return missing
    }
}
