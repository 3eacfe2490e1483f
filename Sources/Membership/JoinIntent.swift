import AdjoinCore
import Kerberos
#if canImport(Glibc)
    import Glibc
#endif

/// What the host knows of a join before the directory does: written (atomically) before the LDAP add
/// or reset of the computer account, removed once the join record is written or the join undone. A
/// kill at any moment in between therefore leaves it, and with it the account's name, DN, domain,
/// DCs and keytab path: `status` reports the interrupted join, a rerun completes it (it finds the
/// account, owned by this host, and resets it), and `leave` removes the account (with the machine's
/// keytab when it proves, else with the keys beside it, else with --user). Same format as the join
/// record; no secret in it.
///
/// Beside it, readable by root alone, the keys the join is about to give the account (`joining.keytab`):
/// derived from the new password before the directory sees it, so that a join killed after the add and
/// before its keytab still leaves the host a login as the account, and a plain `leave` can remove it.
public enum JoinIntent {
    public static let path = "/var/lib/adjoin/joining"
    public static let keysPath = "/var/lib/adjoin/joining.keytab"

    /// The keys first, then the record that says what they are for.
    static func write(_ request: JoinRequest, computerDN: String, keys: [KeytabEntry], files: HostFiles) throws(AdjoinError) {
        var bytes = KeytabFormat.encode(keys)
        defer { bytes.wipe() }
        try files.writeOwn(bytes, to: keysPath, mode: 0o600)
        let record = JoinRecord(request, computerDN: computerDN, configured: false)
        try files.writeOwn(Array(record.rendered().utf8), to: path, mode: mode)
    }

    static let mode: mode_t = 0o644

    /// The record and its keys as a join found them (an interrupted earlier join's, or none).
    struct Saved {
        let record: [UInt8]?
        let keys: [UInt8]?

        init(_ files: HostFiles) throws(AdjoinError) {
            record = try files.read(JoinIntent.path)
            keys = try files.read(JoinIntent.keysPath)
        }
    }

    /// The record and its keys as they were read before, or none.
    static func putBack(_ saved: Saved, files: HostFiles) {
        guard let record = saved.record else { return remove(files) }
        if let keys = saved.keys {
            try? files.writeOwn(keys, to: keysPath, mode: 0o600)
        } else {
            _ = try? files.remove(keysPath)
        }
        try? files.writeOwn(record, to: path, mode: mode)
    }

    /// The interrupted join's record, or nil when none was interrupted.
    public static func read(_ files: HostFiles) throws(AdjoinError) -> JoinRecord? {
        guard let bytes = try files.read(path) else { return nil }
        return try JoinRecord.parse(String(decoding: bytes, as: UTF8.self))
    }

    /// The record first: keys without it are nobody's, and the next join or leave removes them.
    static func remove(_ files: HostFiles) {
        _ = try? files.remove(path)
        _ = try? files.remove(keysPath)
    }

    /// What status and rotate say of a host whose join was cut short.
    static func interruptedMessage(_ record: JoinRecord, files: HostFiles) -> String {
        "a join of \(record.samAccountName) to \(record.domain) was interrupted (\(files.path(path))): the directory may hold "
            + "\(record.computerDN.isEmpty ? "its account" : record.computerDN); run adjoin join again to complete it, or adjoin leave to remove it"
    }
}
