import AdjoinCore
import Kerberos
#if canImport(Glibc)
    import Glibc
#endif

/// The host's keytab: keys derived locally from the machine password with AD's salt, merged with the
/// entries of other principals already there, written atomically with mode 0600.
struct HostKeytab {
    let computerName: ComputerName
    let hostFQDN: String
    let realm: String
    let encryptionTypes: [EncryptionType]
    let files: HostFiles
    /// Host path ("/etc/krb5.keytab"), under `files.root`.
    let keytabPath: String
    /// Stamps the entries' timestamps.
    var clock: any WallClock = SystemWallClock()
    /// The service classes beyond host (`--service-name`): NAME/SHORT and NAME/fqdn get the account's keys too.
    var serviceNames: [String] = []
    /// Service classes an earlier join gave keys that this one no longer wants: their entries count as
    /// this computer's, so that writing the keytab (or leaving) drops them, but none are made.
    var retiredServiceNames: [String] = []

    init(request: JoinRequest) {
        self.init(
            computerName: request.computerName, hostFQDN: request.hostFQDN, realm: request.domain.realm,
            encryptionTypes: request.encryptionTypes, files: request.files, keytabPath: request.keytabPath)
        serviceNames = request.serviceNames.map(\.value)
    }

    init(
        computerName: ComputerName, hostFQDN: String, realm: String, encryptionTypes: [EncryptionType], files: HostFiles, keytabPath: String
    ) {
        self.computerName = computerName
        self.hostFQDN = hostFQDN
        self.realm = realm
        self.encryptionTypes = encryptionTypes
        self.files = files
        self.keytabPath = keytabPath
    }

    var samAccountName: String { computerName.samAccountName }
    var path: String { files.path(keytabPath) }
    /// The file libkrb5 opens and unlink removes: a link in the root is followed inside it, where the
    /// kernel would follow an absolute one out of the root. `path` stays the name shown to users.
    var openedPath: String { (try? files.realPath(keytabPath)) ?? path }

    /// The account's SPNs, as Windows registers them (host/WEB1, host/web1.corp...): registered on the
    /// computer object, and the same names get keys in the keytab.
    /// `services`: the classes beyond host and RestrictedKrbHost (`--service-name`), each with the same two forms.
    static func servicePrincipalNames(computerName: String, hostFQDN: String, services: [String] = []) -> [String] {
        (ServiceName.builtIn + services).flatMap { ["\($0)/\(computerName)", "\($0)/\(hostFQDN.lowercased())"] }
    }

    /// NAME$ (KRB5_NT_PRINCIPAL), then the account's SPNs (KRB5_NT_SRV_HST).
    var principals: [(components: [String], nameType: UInt32)] {
        [([samAccountName], 1)]
            + Self.servicePrincipalNames(computerName: computerName.value, hostFQDN: hostFQDN, services: serviceNames)
            .map { (components: $0.split(separator: "/").map(String.init), nameType: 3) }
    }

    /// The principals of retired service classes, as `isOurs` compares them.
    private var retiredPrincipals: [String] {
        retiredServiceNames.flatMap { ["\($0)/\(computerName)", "\($0)/\(hostFQDN.lowercased())"] }.map { $0.lowercased() }
    }

    /// Whether an entry is one of this computer's (any kvno), a retired service's included.
    func isOurs(_ entry: KeytabEntry) -> Bool {
        let ours = Set(principals.map { $0.components.joined(separator: "/").lowercased() } + retiredPrincipals)
        return entry.realm == realm && ours.contains(entry.components.joined(separator: "/").lowercased())
    }

    /// Whether `entries` hold a key of a retired service class.
    func holdsRetired(_ entries: [KeytabEntry]) -> Bool {
        entries.contains(where: isRetired)
    }

    private func isRetired(_ entry: KeytabEntry) -> Bool {
        entry.realm == realm && retiredPrincipals.contains(entry.components.joined(separator: "/").lowercased())
    }

    /// `directory` derives the keys, as its KDC does.
    func entries(password: SecretBytes, kvno: UInt32, from directory: any Directory) throws(AdjoinError) -> [KeytabEntry] {
        let salt = ADSalt.computer(samAccountName: samAccountName, realm: realm)
        let now = UInt32(truncatingIfNeeded: clock.secondsSince1970)
        var entries: [KeytabEntry] = []
        for type in encryptionTypes {
            let key: SecretBytes
            do {
                key = try directory.deriveKey(type, password: password, salt: type.usesSalt ? salt : "")
            } catch {
                throw AdjoinError(.unknownError, error.description)
            }
            for principal in principals {
                entries.append(
                    KeytabEntry(
                        components: principal.components, realm: realm, nameType: principal.nameType,
                        timestamp: now, kvno: kvno, enctype: type.number, key: key))
            }
        }
        return entries
    }

    /// The file's current bytes, for putting them back if the join has to be undone.
    func current() throws(AdjoinError) -> [UInt8]? {
        try files.read(keytabPath)
    }

    /// Replaces this computer's entries, keeps every other principal's; with `keeping`, also this
    /// computer's entries of that kvno (the keys before a rotation, for tickets still in flight).
    func write(_ newEntries: [KeytabEntry], over existing: [UInt8]?, keeping keptVersion: UInt32? = nil) throws(AdjoinError) {
        var kept: [KeytabEntry] = []
        if let existing, !existing.isEmpty {
            do {
                kept = try KeytabFormat.decode(existing).filter {
                    !isOurs($0) || (keptVersion != nil && $0.kvno == keptVersion && !isRetired($0))
                }
            } catch {
                throw AdjoinError(.unknownError, "the keytab \(path) exists but cannot be read (\(error)); not overwriting it")
            }
        }
        var bytes = KeytabFormat.encode(kept + newEntries)
        defer { bytes.wipe() }
        try files.write(bytes, to: keytabPath, mode: 0o600)
    }

    func restore(_ previous: [UInt8]?) {
        if let previous {
            _ = try? files.write(previous, to: keytabPath, mode: 0o600)
        } else {
            unlink(openedPath)
        }
    }

    /// A Kerberos login as NAME$ with nothing but the keytab: the keys match what the DC holds. Returns
    /// the kvno of the key the DC used, when its reply tells it.
    /// `keepingTicketFor`: a service whose ticket the same exchange asks for and the session keeps (the
    /// DNS registration's); a DC that does not know that service gets the plain proof instead.
    func prove(session: any Directory, keepingTicketFor service: String? = nil, deadline: Deadline) throws(AdjoinError) -> UInt32? {
        do {
            return try session.login(
                samAccountName, keytabPath: openedPath, encryptionTypes: encryptionTypes, keepingTicketFor: service,
                deadline: deadline)
        } catch  where service != nil && error.code == .serverUnknown {
            return try prove(session: session, deadline: deadline)
        } catch {
            throw error.adjoinError(deadline: deadline)
        }
    }
}
