#if canImport(Glibc)
    import Glibc
#endif

/// Symbolic links followed the way the configured system itself would follow them. Under `--root`,
/// the kernel would take an absolute link such as authselect's `/etc/pam.d/system-auth ->
/// /etc/authselect/system-auth` from the machine's own /, outside the image: so the links are read
/// here, one component at a time, and every target is taken inside the root (`..` stops at it).
extension HostFiles {
    /// Links followed at most this many times, as the kernel's own limit (ELOOP).
    static let maximumLinks = 40

    /// The host path that `hostPath` names once every link in it is followed inside the root: the path
    /// of the file itself, never of a link. A path that does not exist (or whose link does not lead
    /// anywhere yet) comes back with the links before the missing part resolved.
    public func resolved(_ hostPath: String) throws(AdjoinError) -> String {
        var pending = Self.components(hostPath)
        var done: [Substring] = []
        var links = 0
        while !pending.isEmpty {
            let component = pending.removeFirst()
            if component == ".." {
                _ = done.popLast()
                continue
            }
            let candidate = "/" + (done + [component]).joined(separator: "/")
            guard let target = FileIO.linkTarget(path(candidate)) else {
                done.append(component)
                continue
            }
            links += 1
            guard links <= Self.maximumLinks else {
                throw AdjoinError(.configurationFailed, "cannot follow \(path(hostPath)): too many levels of symbolic links")
            }
            if target.hasPrefix("/") { done = [] }
            pending = Self.components(target) + pending
        }
        return "/" + done.joined(separator: "/")
    }

    /// The real path of the file a host path names, its links followed inside the root: the path to
    /// hand to a library that opens the file itself (the kernel would follow a link out of the root).
    public func realPath(_ hostPath: String) throws(AdjoinError) -> String {
        path(try resolved(hostPath))
    }

    private static func components(_ path: String) -> [Substring] {
        path.split(separator: "/").filter { $0 != "." }
    }
}

extension FileIO {
    /// What a symbolic link says, or nil when the path is not a link (or does not exist).
    static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
