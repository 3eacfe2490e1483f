import AdjoinCore

/// What host configuration needs to know about the join, decided before anything is written.
/// Paths are host paths ("/etc/krb5.keytab"), as the configured system will see them, whatever `--root` is.
@dynamicMemberLookup
public struct HostSettings: Sendable {
    /// The domain's DNS name, lower case.
    public var domain: String
    public var realm: String
    public var hostFQDN: String
    /// The computer account's name (sAMAccountName without the "$").
    public var computerName: String
    public var keytabPath = HostPath.defaultKeytab
    /// Host names of the domain's KDCs for krb5.conf, the pinned DC first.
    public var kdcs: [String]
    /// IP addresses of the domain's DNS servers (its DCs), for `--configure-dns`.
    public var dnsServers: [String] = []
    /// Who may log in, and how: read here as `settings.allowedGroups`, `settings.configureSSH`...
    public var login = LoginSettings()
    /// The join reached its DC over IPv6 (an IPv6-only host, or a DC without IPv4): sssd looks up AAAA records first.
    public var reachesDCsOverIPv6 = false
    /// sssd is pointed at these DCs (then DNS discovery) when the user named them; else it discovers.
    public var pinnedServers: [String] = []

    public init(domain: String, realm: String, hostFQDN: String, computerName: String, kdcs: [String]) {
        self.domain = domain.lowercased()
        self.realm = realm
        self.hostFQDN = hostFQDN
        self.computerName = computerName
        self.kdcs = kdcs
    }

    public subscript<Value>(dynamicMember path: WritableKeyPath<LoginSettings, Value>) -> Value {
        get { login[keyPath: path] }
        set { login[keyPath: path] = newValue }
    }

    /// A server as krb5.conf and sssd's ad_server take it: an IPv6 address in brackets (`[fd00::10]`), so that
    /// its colons are not read as a port's; a name or an IPv4 address as it is.
    static func serverEntry(_ host: String) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }

    /// The first label of the host name, upper case: what sssd derives the machine principal from.
    var shortHostName: String {
        String(hostFQDN.prefix { $0 != "." }).uppercased()
    }
}
