import AdjoinCore
import HostConfig
import Kerberos

/// What a join leaves behind for `leave`, `rotate` and `status`: the domain, the account, the keytab
/// and the DCs it was told to use, in `/var/lib/adjoin/joined` (adjoin's own state, not under /etc,
/// so a leave that restores /etc byte for byte does not have to account for it). No secret is in it.
public struct JoinRecord: Sendable, Equatable {
    public static let path = "/var/lib/adjoin/joined"

    public var domain: String
    public var realm: String
    public var computerName: String
    public var hostFQDN: String
    public var computerDN: String
    public var owner: String
    /// Whose join this is: the instance id on EC2, the machine-id hash elsewhere (the owner, unless
    /// --owner chose another). A host whose own identity differs is a copy of this one.
    public var identity: String
    public var keytabPath: String
    /// The `--domain-controller` and `--dns-server` values of the join (empty: DNS discovery).
    public var domainControllers: [String] = []
    public var dnsServers: [String] = []
    public var encryptionTypes: [String] = []
    /// Whether the join configured the host (krb5.conf, sssd, NSS, PAM).
    public var configured: Bool
    /// The SSM parameter the join's settings came from (nil: flags only).
    public var settingsParameter: String?
    /// Who the configured host lets log in and use sudo (nil: not configured, or an older adjoin's record).
    public var access: LoginAccess?
    /// The address record the join registered in the domain's DNS (nil: none), for leave to remove and status to check.
    public var dnsRecord: HostAddressRecord?
    /// The join was told to keep Samba's copy of the machine password in step (`--update-samba`, the
    /// `updateSamba` setting): the scheduled `rotate` does so too.
    public var updateSamba = false
    /// The `--service-name` classes the keytab holds keys for (HTTP, nfs...): rotate renews them, leave removes them.
    public var serviceNames: [String] = []
    /// The SPNs of those classes that adjoin added to the account (not an administrator's, there before):
    /// what a join with another list, or a leave that keeps the account, removes.
    public var addedServicePrincipals: [String] = []
    /// systemd units the join enabled that were not enabled before (oddjobd): leave disables them again.
    public var enabledUnits: [String] = []

    public init(
        domain: String, realm: String, computerName: String, hostFQDN: String, computerDN: String, owner: String,
        keytabPath: String, configured: Bool
    ) {
        self.domain = domain
        self.realm = realm
        self.computerName = computerName
        self.hostFQDN = hostFQDN
        self.computerDN = computerDN
        self.owner = owner
        self.identity = owner
        self.keytabPath = keytabPath
        self.configured = configured
    }

    /// What the request says of the join, before it has a result (the intent record's).
    init(_ request: JoinRequest, computerDN: String, configured: Bool) {
        self.init(
            domain: request.domain.value, realm: request.domain.realm, computerName: request.computerName.value,
            hostFQDN: request.hostFQDN, computerDN: computerDN, owner: request.owner.value,
            keytabPath: request.keytabPath, configured: configured)
        identity = request.identity.value
        domainControllers = request.domainControllers.map(\.description)
        dnsServers = Self.recorded(request.dnsServers)
        encryptionTypes = request.encryptionTypes.map(\.name)
        settingsParameter = request.settingsParameter
        serviceNames = request.serviceNames.map(\.value)
    }

    init(_ request: JoinRequest, _ result: JoinResult, configured: Bool) {
        self.init(request, computerDN: result.computerDN, configured: configured)
        dnsRecord = result.dnsRecord
        updateSamba = result.updateSamba
        addedServicePrincipals = result.addedServicePrincipals
    }

    /// DNS servers as the record keeps them: the address alone for port 53, else with its port
    /// (`127.0.0.1:5353`, `[fd00::2]:5353`), as `--dns-server` takes them.
    static func recorded(_ servers: [SocketAddress]) -> [String] {
        servers.map { $0.port == 53 ? $0.host : $0.description }
    }

    /// The recorded DNS servers with their ports (53 where none is written, as in older records).
    var dnsServerAddresses: [SocketAddress] {
        dnsServers.compactMap { text in
            (try? HostPort(parsing: text)).flatMap { SocketAddress(numericHost: $0.host, port: $0.port ?? 53) }
        }
    }

    public var samAccountName: String { ComputerName(recorded: computerName).samAccountName }
    public var machinePrincipal: String { samAccountName + "@" + realm }

    /// The encryption types of the machine's keys, strongest first, for a login with the keytab.
    public var keytabEncryptionTypes: [EncryptionType] {
        let known: [EncryptionType] = [.aes256, .aes128, .rc4]
        let named = known.filter { encryptionTypes.contains($0.name) }
        return named.isEmpty ? [.aes256, .aes128] : named
    }

    /// The machine's keys in the keytab the join wrote, under `files.root`.
    func keytab(files: HostFiles) -> HostKeytab {
        var keytab = HostKeytab(
            computerName: ComputerName(recorded: computerName), hostFQDN: hostFQDN, realm: realm, encryptionTypes: keytabEncryptionTypes,
            files: files, keytabPath: keytabPath)
        keytab.serviceNames = serviceNames
        return keytab
    }

    // MARK: - The file: `key=value` lines, one value per line (a list repeats its key).

    public func rendered() -> String {
        var lines = ["# Written by adjoin join; read by adjoin leave, rotate and status. Removed by leave."]
        func add(_ key: String, _ value: String) {
            // Values come from flags and the directory; a line break would split the record.
            lines.append(key + "=" + String(value.unicodeScalars.filter { $0 != "\n" && $0 != "\r" }))
        }
        add("domain", domain)
        add("realm", realm)
        add("computer-name", computerName)
        add("host-fqdn", hostFQDN)
        add("computer-dn", computerDN)
        add("owner", owner)
        add("identity", identity)
        add("keytab", keytabPath)
        for dc in domainControllers { add("domain-controller", dc) }
        for server in dnsServers { add("dns-server", server) }
        for type in encryptionTypes { add("enctype", type) }
        add("configured", configured ? "yes" : "no")
        if let settingsParameter { add("settings-parameter", settingsParameter) }
        for name in serviceNames { add("service-name", name) }
        for spn in addedServicePrincipals { add("added-spn", spn) }
        for unit in enabledUnits { add("enabled-unit", unit) }
        if let access {
            add("login-access", access.allowedGroups.isEmpty ? "none" : "groups")
            for group in access.allowedGroups { add("allow-group", group) }
            if let sudoGroup = access.sudoGroup { add("sudo-group", sudoGroup) }
            if access.ssh { add("ssh", "yes") }
        }
        if let dnsRecord {
            add("dns-name", dnsRecord.name)
            add("dns-address", dnsRecord.address)
            add("dns-address-source", dnsRecord.source.rawValue)
            if let zone = dnsRecord.reverseZone { add("dns-reverse-zone", zone) }
        }
        if updateSamba { add("update-samba", "yes") }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func parse(_ text: String) throws(AdjoinError) -> JoinRecord {
        var single: [String: String] = [:]
        var lists: [String: [String]] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals])
            let value = String(line[line.index(after: equals)...])
            single[key] = value
            lists[key, default: []].append(value)
        }
        func required(_ key: String) throws(AdjoinError) -> String {
            guard let value = single[key], !value.isEmpty else {
                throw AdjoinError(.unknownError, "\(JoinRecord.path) lacks \(key): remove it and join again, or give the flags")
            }
            return value
        }
        var record = JoinRecord(
            domain: try required("domain"), realm: try required("realm"), computerName: try required("computer-name"),
            hostFQDN: try required("host-fqdn"), computerDN: single["computer-dn"] ?? "", owner: single["owner"] ?? "",
            keytabPath: try required("keytab"), configured: single["configured"] == "yes")
        // Records of adjoin 0.1 have no identity: the owner was it, unless --owner named something else.
        record.identity = single["identity"] ?? record.owner
        record.domainControllers = lists["domain-controller"] ?? []
        record.dnsServers = lists["dns-server"] ?? []
        record.encryptionTypes = lists["enctype"] ?? []
        record.settingsParameter = single["settings-parameter"]
        record.serviceNames = lists["service-name"] ?? []
        record.addedServicePrincipals = lists["added-spn"] ?? []
        record.enabledUnits = lists["enabled-unit"] ?? []
        if single["login-access"] != nil {
            record.access = LoginAccess(
                allowedGroups: lists["allow-group"] ?? [], sudoGroup: single["sudo-group"], ssh: single["ssh"] == "yes")
        }
        if let name = single["dns-name"], let address = single["dns-address"] {
            record.dnsRecord = HostAddressRecord(
                name: name, address: address,
                source: single["dns-address-source"].flatMap(HostAddressRecord.Source.init(rawValue:)) ?? .given,
                reverseZone: single["dns-reverse-zone"])
        }
        record.updateSamba = single["update-samba"] == "yes"
        return record
    }

    /// The record under `files.root`, or nil when adjoin has not joined this host.
    public static func read(_ files: HostFiles) throws(AdjoinError) -> JoinRecord? {
        guard let bytes = try files.read(path) else { return nil }
        return try parse(String(decoding: bytes, as: UTF8.self))
    }

    /// Written, then the intent record goes: a kill between the two leaves both, and the record wins.
    func write(_ files: HostFiles) throws(AdjoinError) {
        try files.writeOwn(Array(rendered().utf8), to: JoinRecord.path, mode: 0o644)
        JoinIntent.remove(files)
    }
}
