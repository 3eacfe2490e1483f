/// krb5.conf settings held in memory. A join pins the realm's KDC and kpasswd server to the one DC
/// that discovery chose, and reads nothing from /etc/krb5.conf.
public struct KerberosProfile: Sendable {
    public var relations: [(path: [String], value: String)] = []

    public init() {}

    public mutating func set(_ path: String..., to value: String) {
        relations.append((path, value))
    }

    /// One realm served by one DC (host or address with optional port), with no DNS lookups of KDCs
    /// or realms and no reverse DNS, so every Kerberos exchange goes to that DC.
    public static func pinned(realm: String, kdc: String, kpasswdServer: String) -> KerberosProfile {
        var profile = KerberosProfile()
        profile.set("libdefaults", "default_realm", to: realm)
        profile.addNoLookups()
        profile.set("realms", realm, "kdc", to: kdc)
        profile.set("realms", realm, "kpasswd_server", to: kpasswdServer)
        profile.set("realms", realm, "admin_server", to: kpasswdServer)
        profile.addNoCertificatePlugins()
        return profile
    }

    /// GSSAPI's profile for the LDAP bind, the same for every join (see GSSAPIConfiguration): no DNS
    /// lookups and the DC's host name as given.
    public static var gssapi: KerberosProfile {
        var profile = KerberosProfile()
        profile.addNoLookups()
        profile.addNoCertificatePlugins()
        return profile
    }

    private mutating func addNoLookups() {
        set("libdefaults", "dns_lookup_kdc", to: "false")
        set("libdefaults", "dns_lookup_realm", to: "false")
        set("libdefaults", "rdns", to: "false")
        set("libdefaults", "dns_canonicalize_hostname", to: "false")
    }

    // AD has no SPAKE, and a join logs in with a password or keys, never a certificate: those two
    // plugins would only load OpenSSL's libcrypto (1.4 MB resident) for nothing.
    private mutating func addNoCertificatePlugins() {
        set("plugins", "clpreauth", "disable", to: "spake")
        set("plugins", "clpreauth", "disable", to: "pkinit")
    }
}
