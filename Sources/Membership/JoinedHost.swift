import AdjoinCore
import Discovery
import Kerberos
import LDAP

/// Where `leave`, `rotate` and `status` talk to the domain from: flags first, else what the join used.
public struct DirectoryPlace: Sendable {
    public var files: HostFiles
    public var domainControllers: [HostPort] = []
    public var dnsServers: [SocketAddress] = []
    /// How the domain is reached (a test's scripted directory in unit tests).
    public var connector: any DirectoryConnector = LiveDirectoryConnector()
    /// Password ages and keytab timestamps are counted by it.
    public var clock: any WallClock = SystemWallClock()
    /// This EC2 instance's private IPv4 (instance metadata), asked only where the DNS record was registered
    /// with it; nil: not on EC2.
    public var instanceAddress: (@Sendable (Deadline) -> SocketAddress?)?

    public init(files: HostFiles) {
        self.files = files
    }
}

/// A host adjoin joined, as the lifecycle commands find it: its join record and its keytab, and the
/// machine's own login to the directory (no join user needed).
struct JoinedHost {
    let record: JoinRecord
    let place: DirectoryPlace
    let progress: ProgressSink
    /// The record is an interrupted join's intent record (leave only).
    let interrupted: Bool

    /// The record under the root, or NOT_JOINED (which names an interrupted join). With
    /// `acceptingInterrupted` (leave), an interrupted join's intent record stands in for the record.
    init(place: DirectoryPlace, progress: @escaping ProgressSink, acceptingInterrupted: Bool = false) throws(AdjoinError) {
        var found = try JoinRecord.read(place.files)
        interrupted = found == nil
        if found == nil, let intent = try JoinIntent.read(place.files) {
            guard acceptingInterrupted else { throw AdjoinError(.notJoined, JoinIntent.interruptedMessage(intent, files: place.files)) }
            progress("Found an interrupted join of \(intent.samAccountName) (\(place.files.path(JoinIntent.path)))")
            found = intent
        }
        guard let record = found else {
            throw AdjoinError(.notJoined, "adjoin has not joined this host (no \(place.files.path(JoinRecord.path)))")
        }
        self.record = record
        self.place = place
        self.progress = progress
    }

    var files: HostFiles { place.files }

    /// Whether this host is a copy of the one that joined (nil: it is that host, or it cannot be told).
    func copy(_ identity: CurrentIdentity, deadline: Deadline) throws(AdjoinError) -> HostCopy? {
        try identity.copy(of: record, deadline: deadline)
    }

    var keytab: HostKeytab {
        var keytab = record.keytab(files: files)
        keytab.clock = place.clock
        return keytab
    }

    func locateController(required: DCFlags, deadline: Deadline) throws(AdjoinError) -> DomainController {
        var controllers = place.domainControllers
        if controllers.isEmpty {
            for text in record.domainControllers { controllers.append(try HostPort(parsing: text)) }
        }
        var servers = place.dnsServers
        if servers.isEmpty {
            servers = record.dnsServerAddresses
        }
        return try place.connector.locate(
            try DomainName(record.domain), domainControllers: controllers, dnsServers: servers,
            required: required, progress: progress, deadline: deadline)
    }

    /// The machine's login with its keytab (or another file of its keys, a host path) and its sealed LDAP connection.
    func machineSession(
        _ controller: DomainController, keysAt keysPath: String? = nil, deadline: Deadline
    ) throws(AdjoinError) -> any Directory {
        try place.connector.open(
            realm: record.realm,
            as: .keytab(
                principal: record.machinePrincipal, path: keysPath.map(files.path) ?? keytab.openedPath,
                encryptionTypes: record.keytabEncryptionTypes),
            controller: controller, deadline: deadline, progress: progress)
    }

    /// The machine's login with its keytab. After an interrupted join whose keytab does not log in (it
    /// was killed before writing it), with the keys that join was about to write; when neither does,
    /// KEYTAB_INVALID naming the leave that will work.
    func leavingSession(_ controller: DomainController, deadline: Deadline) throws(AdjoinError) -> any Directory {
        let transient: [Status] = [.accountMissing, .timeout, .networkError]
        do {
            return try machineSession(controller, deadline: deadline)
        } catch  where interrupted && !transient.contains(error.status) {
            var failure = error
            if files.exists(JoinIntent.keysPath) {
                progress(
                    "The keytab does not log in as \(record.samAccountName); trying the keys the interrupted join was about to write "
                        + "(\(files.path(JoinIntent.keysPath)))")
                do {
                    return try machineSession(controller, keysAt: JoinIntent.keysPath, deadline: deadline)
                } catch  where !transient.contains(error.status) {
                    failure = error
                }
            }
            let account = record.computerDN.isEmpty ? record.samAccountName : record.computerDN
            throw AdjoinError(
                .keytabInvalid,
                "the interrupted join left no keys that log in as \(record.samAccountName) "
                    + "(\(failure.message)), so this host cannot remove \(account) itself: adjoin leave --user NAME --password-stdin "
                    + "removes it, as a user who may delete it")
        }
    }

    static let accountAttributes = [
        "distinguishedName", AccountOwner.attribute, "msDS-KeyVersionNumber", "pwdLastSet", "servicePrincipalName",
    ]

    /// The computer object by its sAMAccountName, or nil when the directory has none.
    func account(in session: any Directory, deadline: Deadline) throws(AdjoinError) -> LDAPEntry? {
        let filter = ComputerAccount.filter(samAccountName: record.samAccountName)
        let base = try DomainName(record.domain).baseDN
        do {
            return try session.search(
                base: base, scope: .subtree, filter: filter,
                attributes: Self.accountAttributes, deadline: deadline
            ).first
        } catch {
            throw error.adjoinError(deadline: deadline)
        }
    }

    /// The machine's entries in the keytab as the file holds them now (nil: no file).
    func keytabEntries() throws(AdjoinError) -> [KeytabEntry]? {
        guard let bytes = try files.read(record.keytabPath) else { return nil }
        do {
            return try KeytabFormat.decode(bytes)
        } catch {
            throw AdjoinError(.keytabInvalid, "the keytab \(keytab.path) cannot be read: \(error)")
        }
    }
}

extension LDAPEntry {
    /// msDS-KeyVersionNumber, when the DC returned it.
    var keyVersion: UInt32? { string("msDS-KeyVersionNumber").flatMap { UInt32($0) } }

    /// pwdLastSet as seconds since 1970 (it is a FILETIME: 100 ns units since 1601); nil when 0 or absent.
    var passwordLastSet: Int64? {
        guard let text = string("pwdLastSet"), let filetime = Int64(text), filetime > 0 else { return nil }
        return filetime / 10_000_000 - 11_644_473_600
    }
}
