#if canImport(Glibc)
    import Glibc
#endif

/// What adjoin last wrote to a host file, as a SHA-256 under /var/lib/adjoin/written: leave puts back
/// the pre-join version, and a file someone changed since (another realm added to krb5.conf, a line
/// to nsswitch.conf) must not lose that change without a word.
extension HostFiles {
    func writtenRecord(_ hostPath: String) -> String {
        "/var/lib/adjoin/written" + hostPath + ".sha256"
    }

    /// After a write of `bytes` to the (resolved) host path.
    func recordWritten(_ hostPath: String, _ bytes: [UInt8]) throws(AdjoinError) {
        let record = writtenRecord(hostPath)
        try createParents(of: record, mode: 0o700)
        try FileIO.replace(path(record), with: Array(SHA256.hash(bytes).hexString.utf8), mode: 0o600)
    }

    /// Whether the file now holds something other than what adjoin last wrote there (false when adjoin
    /// recorded nothing: a tool wrote it, or an older adjoin did).
    public func changedSinceWritten(_ hostPath: String) throws(AdjoinError) -> Bool {
        let hostPath = try resolved(hostPath)
        guard let recorded = try FileIO.read(path(writtenRecord(hostPath))) else { return false }
        let current = try FileIO.read(path(hostPath))
        return current.map { Array(SHA256.hash($0).hexString.utf8) } != recorded
    }

    func forgetWritten(_ hostPath: String) {
        unlink(path(writtenRecord(hostPath)))
    }
}
