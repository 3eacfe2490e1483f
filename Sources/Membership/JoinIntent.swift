import AdjoinCore
#if canImport(Glibc)
import Glibc
#endif

/// What the host knows of a join before the directory does: written (atomically) before the LDAP add
/// or reset of the computer account, removed once the join record is written or the join undone. A
/// kill at any moment in between therefore leaves it, and with it the account's name, DN, domain,
/// DCs and keytab path: `status` reports the interrupted join, a rerun completes it (it finds the
/// account, owned by this host, and resets it), and `leave` removes the account (with the machine's
/// keytab when it proves, else with --user). Same format as the join record; no secret in it.
public enum JoinIntent {
    public static let path = "/var/lib/adjoin/joining"

    static func write(_ request: JoinRequest, computerDN: String, files: HostFiles) throws(AdjoinError) {
        var record = JoinRecord(domain: request.domain.value, realm: request.domain.realm, computerName: request.computerName.value,
                                hostFQDN: request.hostFQDN, computerDN: computerDN, owner: request.owner.value,
                                keytabPath: request.keytabPath, configured: false)
        record.identity = request.identity.value
        record.domainControllers = request.domainControllers.map(\.description)
        record.dnsServers = request.dnsServers.map(\.host)
        record.encryptionTypes = request.encryptionTypes.map(\.name)
        record.settingsParameter = request.settingsParameter
        try files.writeOwn(Array(record.rendered().utf8), to: path, mode: mode)
    }

    static let mode: mode_t = 0o644

    /// The record as it was read before (an interrupted earlier join's), or none.
    static func putBack(_ bytes: [UInt8]?, files: HostFiles) {
        if let bytes {
            try? files.writeOwn(bytes, to: path, mode: mode)
        } else {
            remove(files)
        }
    }

    /// The interrupted join's record, or nil when none was interrupted.
    public static func read(_ files: HostFiles) throws(AdjoinError) -> JoinRecord? {
        guard let bytes = try files.read(path) else { return nil }
        return try JoinRecord.parse(String(decoding: bytes, as: UTF8.self))
    }

    static func remove(_ files: HostFiles) {
        _ = try? files.remove(path)
    }

    /// What status and rotate say of a host whose join was cut short.
    static func interruptedMessage(_ record: JoinRecord, files: HostFiles) -> String {
        "a join of \(record.samAccountName) to \(record.domain) was interrupted (\(files.path(path))): the directory may hold "
            + "\(record.computerDN.isEmpty ? "its account" : record.computerDN); run adjoin join again to complete it, or adjoin leave to remove it"
    }
}
