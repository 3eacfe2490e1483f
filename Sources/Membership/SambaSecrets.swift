import AdjoinCore
import HostConfig

/// Samba on the same host, as an Active Directory member of the joined realm: it keeps the machine
/// password in its secrets.tdb, and this hands it each new one, as adcli's `--add-samba-data` does:
/// `net changesecretpw -f -i` with the password on standard input (never in argv or the environment),
/// then `net setdomainsid` with the domain's SID. Samba's own `net` is run with `-s` naming the
/// smb.conf that was read (under --root, the root's), so that its directories are the ones it names.
public struct SambaSecrets: Sendable {
    public let files: HostFiles
    public let configuration: SambaConfiguration

    /// Samba's configuration when smb.conf makes it an ADS member of `realm`; nil otherwise (no smb.conf, another role or realm).
    public static func member(of realm: String, files: HostFiles) throws(AdjoinError) -> SambaSecrets? {
        guard let configuration = try SambaConfiguration.read(files: files), configuration.isMember(ofRealm: realm) else { return nil }
        return SambaSecrets(files: files, configuration: configuration)
    }

    public init(files: HostFiles, configuration: SambaConfiguration) {
        self.files = files
        self.configuration = configuration
    }

    /// The smb.conf as `net -s` takes it.
    public var configurationPath: String { files.path(SambaConfiguration.path) }

    /// `net -s SMBCONF` with `arguments`; nil when Samba's tools are not installed.
    func net(_ arguments: [String]) -> ChildProcess? {
        guard let net = ChildProcess.locate("net") else { return nil }
        return ChildProcess([net, "-s", configurationPath] + arguments)
    }

    /// The command that writes the password into secrets.tdb: the password goes on standard input.
    func changeSecret(_ password: SecretBytes) -> ChildProcess? {
        guard var command = net(["changesecretpw", "-f", "-i"]) else { return nil }
        command.standardInput = password
        return command
    }

    /// Hands Samba the domain's SID (when known) and the machine password. Returns what was done, for the message.
    /// The SID goes first: Samba reads its domain information from the SID and the password records together.
    public func handOver(_ password: SecretBytes, domainSID: String?, deadline: Deadline) throws(AdjoinError) -> String {
        guard let change = changeSecret(password) else {
            throw AdjoinError(
                .configurationFailed,
                "smb.conf makes Samba a member of \(configuration.realm ?? "the domain"), but Samba's `net` "
                    + "is not installed (samba-common-bin)")
        }
        var done = "Samba's secrets.tdb holds the new machine password"
        if let domainSID, let setSID = net(["setdomainsid", domainSID]) {
            let sid = try setSID.run(deadline: deadline)
            guard sid.succeeded else {
                throw AdjoinError(
                    .configurationFailed, "`\(setSID.commandLine)` failed (exit \(sid.exitStatus)): \(Self.lastLine(sid.output))")
            }
            done += " and the domain SID \(domainSID)"
        }
        var result = try change.run(deadline: deadline)
        if !result.succeeded, result.output.contains("Unable to write the machine account password") {
            // Samba 4.7 and later change a password only over the domain information a `net ads join`
            // stored; a secrets.tdb that never had one (a host joined by adjoin) gets the legacy records
            // that Samba upgrades from, holding placeholders that the change then replaces (as FreeIPA's
            // Samba member setup does). setdomainsid has created secrets.tdb.
            try seedLegacyRecords(deadline: deadline)
            result = try change.run(deadline: deadline)
        }
        guard result.succeeded else {
            throw AdjoinError(
                .configurationFailed, "`\(change.commandLine)` failed (exit \(result.exitStatus)): \(Self.lastLine(result.output))")
        }
        return done
    }

    private func seedLegacyRecords(deadline: Deadline) throws(AdjoinError) {
        guard let workgroup = configuration.workgroup else {
            throw AdjoinError(.configurationFailed, "smb.conf names no workgroup: Samba cannot be given the machine password")
        }
        guard let tdbtool = ChildProcess.locate("tdbtool") else {
            throw AdjoinError(
                .configurationFailed,
                "Samba's secrets.tdb holds no domain information yet, and tdbtool (tdb-tools) is not "
                    + "installed to prepare it")
        }
        let database = try privateDirectory(deadline: deadline) + "/secrets.tdb"
        for key in ["SECRETS/MACHINE_LAST_CHANGE_TIME/\(workgroup)", "SECRETS/MACHINE_PASSWORD/\(workgroup)"] {
            let store = ChildProcess([tdbtool, database, "store", key, "2\\00"])
            let result = try store.run(deadline: deadline)
            guard result.succeeded, !result.output.contains("Could not open") else {
                throw AdjoinError(.configurationFailed, "`\(store.commandLine)` failed: \(Self.lastLine(result.output))")
            }
        }
    }

    /// Where secrets.tdb lives: smb.conf's `private dir`, else Samba's own default as testparm reports it.
    private func privateDirectory(deadline: Deadline) throws(AdjoinError) -> String {
        if let directory = configuration.privateDirectory { return directory }
        if let testparm = ChildProcess.locate("testparm") {
            let result = try ChildProcess([testparm, "-s", "--parameter-name=private dir", configurationPath]).run(deadline: deadline)
            let line = result.output.split(separator: "\n").last.map(String.init)?.trimmingWhitespace ?? ""
            if result.succeeded, line.hasPrefix("/") { return line }
        }
        return "/var/lib/samba/private"
    }

    /// `net ads testjoin`: Samba's own check that its password logs in. nil: `net` is not installed.
    public func testJoin(deadline: Deadline) throws(AdjoinError) -> ChildProcess.Result? {
        guard let command = net(["ads", "testjoin"]) else { return nil }
        return try command.run(deadline: deadline)
    }

    static func lastLine(_ output: String) -> String {
        output.split(separator: "\n").last.map { String($0).trimmingWhitespace } ?? "no output"
    }

    /// What to do when the directory holds a new password that Samba did not get.
    public static func remedy(_ failure: AdjoinError) -> String {
        "Samba was not given it: \(failure.message). Until it is, Samba's `net ads testjoin` fails and the file server refuses "
            + "domain users. Fix the cause, then run `adjoin rotate --max-age 0 --update-samba` (a new password, handed to Samba too)"
    }
}

/// The domain's SID, read from the domain object (objectSid) over the session, in its S-1-5-21-... form.
enum DomainSID {
    static func read(baseDN: String, session: any Directory, deadline: Deadline) -> String? {
        guard
            let entry = try? session.search(
                base: baseDN, scope: .base, filter: "(objectClass=*)", attributes: ["objectSid"],
                deadline: deadline
            ).first,
            let bytes = entry.values("objectSid").first
        else { return nil }
        return format(bytes)
    }

    /// MS-DTYP 2.4.2.2: revision, sub-authority count, 48-bit big-endian authority, little-endian 32-bit sub-authorities.
    static func format(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= 8, bytes.count == 8 + 4 * Int(bytes[1]) else { return nil }
        let authority = bytes[2..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let subAuthorities = (0..<Int(bytes[1])).map { index in
            (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[8 + 4 * index + $1]) << (8 * $1) }
        }
        return "S-\(bytes[0])-\(authority)" + subAuthorities.map { "-\($0)" }.joined()
    }
}
