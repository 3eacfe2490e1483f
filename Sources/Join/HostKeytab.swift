import AdjoinCore
import Kerberos
#if canImport(Glibc)
import Glibc
#endif

/// The host's keytab: keys derived locally from the machine password with AD's salt, merged with the
/// entries of other principals already there, written atomically with mode 0600.
struct HostKeytab {
    let request: JoinRequest

    /// NAME$ (KRB5_NT_PRINCIPAL), then the account's SPNs (KRB5_NT_SRV_HST).
    var principals: [(components: [String], nameType: UInt32)] {
        [([request.computerName.samAccountName], 1)]
            + request.servicePrincipalNames.map { (components: $0.split(separator: "/").map(String.init), nameType: 3) }
    }

    func entries(password: SecretBytes, kvno: UInt32, context: KerberosContext) throws(AdjoinError) -> [KeytabEntry] {
        let salt = ADSalt.computer(samAccountName: request.computerName.samAccountName, realm: request.domain.realm)
        let now = UInt32(truncatingIfNeeded: time(nil))
        var entries: [KeytabEntry] = []
        for type in request.encryptionTypes {
            let key: SecretBytes
            do {
                key = try context.deriveKey(type, password: password, salt: type.usesSalt ? salt : "")
            } catch {
                throw AdjoinError(.unknownError, error.description)
            }
            for principal in principals {
                entries.append(KeytabEntry(components: principal.components, realm: request.domain.realm, nameType: principal.nameType,
                                           timestamp: now, kvno: kvno, enctype: type.number, key: key))
            }
        }
        return entries
    }

    /// The file's current bytes, for putting them back if the join has to be undone.
    func current() throws(AdjoinError) -> [UInt8]? {
        try request.files.read(request.keytabPath)
    }

    /// Replaces this computer's entries, keeps every other principal's.
    func write(_ newEntries: [KeytabEntry], over existing: [UInt8]?) throws(AdjoinError) {
        var kept: [KeytabEntry] = []
        if let existing, !existing.isEmpty {
            do {
                let ours = Set(principals.map { $0.components.joined(separator: "/").lowercased() })
                kept = try KeytabFormat.decode(existing).filter { entry in
                    !(entry.realm == request.domain.realm && ours.contains(entry.components.joined(separator: "/").lowercased()))
                }
            } catch {
                throw AdjoinError(.unknownError, "the keytab \(request.files.path(request.keytabPath)) exists but cannot be read (\(error)); not overwriting it")
            }
        }
        var bytes = KeytabFormat.encode(kept + newEntries)
        defer { bytes.wipe() }
        try request.files.write(bytes, to: request.keytabPath, mode: 0o600)
    }

    func restore(_ previous: [UInt8]?) {
        if let previous {
            _ = try? request.files.write(previous, to: request.keytabPath, mode: 0o600)
        } else {
            unlink(request.files.path(request.keytabPath))
        }
    }

    /// A Kerberos login as NAME$ with nothing but the keytab: the keys match what the DC holds. Returns
    /// the kvno of the key the DC used, when its reply tells it.
    func prove(session: DirectorySession, deadline: Deadline) throws(AdjoinError) -> UInt32? {
        do {
            let cache = try CredentialCache(context: session.context)
            return try session.context.login(Principal(request.computerName.samAccountName, context: session.context),
                                             keytabPath: request.files.path(request.keytabPath), encryptionTypes: request.encryptionTypes,
                                             into: cache, through: session.kdc, deadline: deadline).clientKeyVersion
        } catch {
            throw JoinFailure.kerberos(error, deadline: deadline)
        }
    }
}
