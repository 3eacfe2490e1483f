/// /etc/krb5.conf: the domain's realm becomes the default, with its KDCs, merged into what is there.
enum KerberosConfiguration {
    static let path = "/etc/krb5.conf"

    static func render(_ settings: HostSettings, over current: String?) -> String {
        var document = ProfileDocument(text: current ?? header(settings))
        document.set("default_realm", settings.realm, in: "libdefaults")
        // AD issues tickets for the names it has SPNs for; resolving a name through DNS (an EC2
        // instance's reverse record is ip-10-...) would ask for a ticket to a name AD does not know.
        document.set("dns_canonicalize_hostname", "false", in: "libdefaults")
        document.set("rdns", "false", in: "libdefaults")
        // MIT reads `kdc = fd00::10` as host "fd00" and port ":10": an IPv6 address goes in brackets.
        let kdcs = settings.kdcs.map(HostSettings.serverEntry)
        var realm: [(String, String)] = kdcs.map { ("kdc", $0) }
        // AD's kpasswd runs on every DC; without this, password changes would look for a kadmin server.
        realm += kdcs.prefix(1).map { ("admin_server", $0) }
        realm.append(("default_domain", settings.domain))
        document.setBlock(settings.realm, body: realm, in: "realms")
        document.set("." + settings.domain, settings.realm, in: "domain_realm")
        document.set(settings.domain, settings.realm, in: "domain_realm")
        return document.text
    }

    private static func header(_ settings: HostSettings) -> String {
        "# Written by adjoin for \(settings.realm). Other realms and settings may be added; adjoin keeps them.\n"
    }
}
