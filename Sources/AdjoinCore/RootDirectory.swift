#if canImport(Glibc)
    import Glibc
#endif

extension HostFiles {
    /// `--root` must name a directory that exists: a mistyped root would otherwise be created and joined
    /// (a real account in the directory for a system that is not there), and a file cannot hold one.
    public func checkRoot() throws(AdjoinError) {
        guard root != "/" else { return }
        var info = stat()
        guard stat(root, &info) == 0 else {
            throw .invalidInput("--root \(root) does not exist: give the directory that holds the system (an image mounted there)")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw .invalidInput("--root \(root) is not a directory")
        }
    }
}
