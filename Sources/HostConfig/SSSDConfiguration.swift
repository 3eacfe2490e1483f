import AdjoinCore

/// /etc/sssd/sssd.conf (mode 0600, as sssd requires): the domain's section, which adjoin owns and
/// rewrites whole, and the domain added to `[sssd]`; other domains and sections stay.
enum SSSDConfiguration {
    static let path = "/etc/sssd/sssd.conf"

    static func render(_ settings: HostSettings, over current: String?) -> String {
        var document = INIDocument(text: current ?? "# Written by adjoin. The [domain/...] section is adjoin's; other sections are kept.\n")
        // No config_file_version: optional since sssd 1.13, and sssd 2.10 warns about it as an unknown
        // option. One already in the file is the administrator's and stays.
        // The ssh responder serves sss_ssh_authorizedkeys, sshd's AuthorizedKeysCommand.
        let services = ["nss", "pam", "sudo"] + (settings.sshPublicKeyAttribute == nil ? [] : ["ssh"])
        document.set("services", merged(document.value("services", in: "sssd"), with: services), in: "sssd")
        document.set("domains", merged(document.value("domains", in: "sssd"), with: [settings.domain]), in: "sssd")
        document.replaceSection("domain/" + settings.domain, with: domainSection(settings))
        return document.text
    }

    static func domainSection(_ settings: HostSettings) -> [(String, String)] {
        var entries: [(String, String)] = [
            ("id_provider", "ad"),
            ("ad_domain", settings.domain),
            ("krb5_realm", settings.realm),
            ("ad_hostname", settings.hostFQDN),
        ]
        if !settings.pinnedServers.isEmpty {
            entries.append(("ad_server", (settings.pinnedServers.map(HostSettings.serverEntry) + ["_srv_"]).joined(separator: ", ")))
        }
        if settings.reachesDCsOverIPv6 {
            // sssd's default (ipv4_first) takes a dual-stack DC's A record, which an IPv6-only host cannot reach.
            entries.append(("lookup_family_order", "ipv6_first"))
        }
        if settings.keytabPath != HostPath.defaultKeytab {
            entries.append(("krb5_keytab", settings.keytabPath))
        }
        // sssd logs in as SHORTNAME$ by default; a long host name's account has another name.
        if settings.computerName.uppercased() != settings.shortHostName {
            entries.append(("ldap_sasl_authid", settings.computerName.uppercased() + "$@" + settings.realm))
        }
        entries += [
            // Users log in as "alice", as on the domain's Windows machines; /home/alice, bash.
            ("use_fully_qualified_names", "false"),
            ("fallback_homedir", "/home/%u"),
            ("default_shell", "/bin/bash"),
            // UIDs derived from the SID: the same on every host, with nothing to maintain in AD; or, where
            // the directory carries them (RFC 2307 attributes), its own uidNumber and gidNumber.
            ("ldap_id_mapping", settings.posixIDs ? "false" : "true"),
        ]
        if let attribute = settings.sshPublicKeyAttribute {
            entries.append(("ldap_user_ssh_public_key", attribute))
        }
        entries += [
            ("cache_credentials", "true"),
            ("krb5_store_password_if_offline", "true"),
            // sssd renews the machine password by running adcli; adjoin rotate does it instead.
            ("ad_maximum_machine_account_password_age", "0"),
            // Dynamic DNS needs nsupdate and a DNS zone that accepts it; EC2 hosts get their records elsewhere.
            ("dyndns_update", "false"),
        ]
        if settings.allowedGroups.isEmpty {
            // simple with an empty allow list would let every domain user in.
            entries.append(("access_provider", "deny"))
        } else {
            entries.append(("access_provider", "simple"))
            entries.append(("simple_allow_groups", settings.allowedGroups.map(\.value).joined(separator: ", ")))
        }
        return entries
    }

    /// A comma-separated list with `additions` appended where missing, the existing order kept.
    private static func merged(_ list: String?, with additions: [String]) -> String {
        var items = (list ?? "").split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        for addition in additions where !items.contains(where: { $0.lowercased() == addition.lowercased() }) {
            items.append(addition)
        }
        return items.joined(separator: ", ")
    }
}
