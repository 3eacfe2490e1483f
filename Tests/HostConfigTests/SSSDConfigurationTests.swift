import Foundation
@testable import HostConfig
import Testing

@Suite struct SSSDConfigurationTests {
    @Test func newFile() {
        #expect(
            SSSDConfiguration.render(.lab(groups: ["linux-admins", "Domain Admins"]), over: nil) == """
                # Written by adjoin. The [domain/...] section is adjoin's; other sections are kept.

                [sssd]
                services = nss, pam, sudo
                domains = corp.example.com

                [domain/corp.example.com]
                id_provider = ad
                ad_domain = corp.example.com
                krb5_realm = CORP.EXAMPLE.COM
                ad_hostname = web1.corp.example.com
                use_fully_qualified_names = false
                fallback_homedir = /home/%u
                default_shell = /bin/bash
                ldap_id_mapping = true
                cache_credentials = true
                krb5_store_password_if_offline = true
                ad_maximum_machine_account_password_age = 0
                dyndns_update = false
                access_provider = simple
                simple_allow_groups = linux-admins, Domain Admins

                """)
    }

    /// A join that reached its DC over IPv6: sssd asks for AAAA records first (its default takes the A record).
    @Test func aDCReachedOverIPv6MakesSSSDLookUpIPv6First() {
        var settings = HostSettings.lab(groups: ["linux-admins"])
        settings.reachesDCsOverIPv6 = true
        #expect(SSSDConfiguration.render(settings, over: nil).contains("\nlookup_family_order = ipv6_first\n"))
        #expect(!SSSDConfiguration.render(.lab(groups: ["linux-admins"]), over: nil).contains("lookup_family_order"))
    }

    /// The directory's own uidNumber and gidNumber instead of IDs derived from SIDs: one line changes.
    @Test func posixIDsTurnIDMappingOff() {
        var settings = HostSettings.lab(groups: ["linux-admins"])
        settings.posixIDs = true
        let posix = SSSDConfiguration.render(settings, over: nil)
        #expect(posix.contains("\nldap_id_mapping = false\n"))
        #expect(
            posix
                == SSSDConfiguration.render(.lab(groups: ["linux-admins"]), over: nil)
                .replacingOccurrences(of: "ldap_id_mapping = true", with: "ldap_id_mapping = false"))
    }

    /// Keys from the directory: sssd reads the attribute and runs its ssh responder; nothing else changes.
    @Test func anSSHKeyAttributeAddsTheSSHResponder() {
        var settings = HostSettings.lab(groups: ["linux-admins"])
        settings.sshPublicKeyAttribute = "altSecurityIdentities"
        let keys = SSSDConfiguration.render(settings, over: nil)
        let plain = SSSDConfiguration.render(.lab(groups: ["linux-admins"]), over: nil)
        #expect(keys.contains("\nservices = nss, pam, sudo, ssh\n"), "\(keys)")
        #expect(keys.contains("\nldap_user_ssh_public_key = altSecurityIdentities\n"))
        #expect(
            keys.replacingOccurrences(of: "services = nss, pam, sudo, ssh", with: "services = nss, pam, sudo")
                .replacingOccurrences(of: "ldap_user_ssh_public_key = altSecurityIdentities\n", with: "") == plain)
    }

    @Test func noGroupMeansNobody() {
        let text = SSSDConfiguration.render(.lab(groups: []), over: nil)
        #expect(text.contains("access_provider = deny\n"))
        #expect(!text.contains("simple"))
    }

    @Test func longHostNamesAndOtherKeytabs() {
        var settings = HostSettings.lab(host: "application-server-42.corp.example.com", computer: "APPLICATIO-K3QZ")
        settings.keytabPath = "/etc/adjoin/host.keytab"
        settings.pinnedServers = ["dc1.corp.example.com"]
        let text = SSSDConfiguration.render(settings, over: nil)
        #expect(text.contains("\nldap_sasl_authid = APPLICATIO-K3QZ$@CORP.EXAMPLE.COM\n"))
        #expect(text.contains("\nkrb5_keytab = /etc/adjoin/host.keytab\n"))
        #expect(text.contains("\nad_server = dc1.corp.example.com, _srv_\n"))
        #expect(!SSSDConfiguration.render(.lab(), over: nil).contains("ldap_sasl_authid"))
    }

    @Test func anAdministratorsConfigFileVersionStays() {
        let merged = SSSDConfiguration.render(.lab(), over: "[sssd]\nconfig_file_version = 2\n")
        #expect(merged.hasPrefix("[sssd]\nconfig_file_version = 2\nservices = nss, pam, sudo\ndomains = corp.example.com\n"))
        #expect(!SSSDConfiguration.render(.lab(), over: nil).contains("config_file_version"))
    }

    @Test func mergeKeepsOtherDomainsAndSections() {
        let existing = """
            [sssd]
            services = nss, pam, ssh
            domains = LDAP

            [domain/LDAP]
            id_provider = ldap
            ldap_uri = ldap://ldap.example.net

            [domain/corp.example.com]
            id_provider = ad
            access_provider = permit

            [nss]
            filter_users = root

            """
        let merged = SSSDConfiguration.render(.lab(), over: existing)
        #expect(
            merged.hasPrefix(
                "[sssd]\nservices = nss, pam, ssh, sudo\ndomains = LDAP, corp.example.com\n\n[domain/LDAP]\nid_provider = ldap\nldap_uri = ldap://ldap.example.net\n\n[domain/corp.example.com]\nid_provider = ad\n"
            ))
        #expect(merged.hasSuffix("simple_allow_groups = linux-admins\n\n[nss]\nfilter_users = root\n"))
        #expect(!merged.contains("access_provider = permit"))
        #expect(SSSDConfiguration.render(.lab(), over: merged) == merged)
    }
}
