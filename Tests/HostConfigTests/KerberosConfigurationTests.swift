@testable import HostConfig
import Testing

@Suite struct KerberosConfigurationTests {
    @Test func newFile() {
        #expect(
            KerberosConfiguration.render(.lab(), over: nil) == """
                # Written by adjoin for CORP.EXAMPLE.COM. Other realms and settings may be added; adjoin keeps them.

                [libdefaults]
                \tdefault_realm = CORP.EXAMPLE.COM
                \tdns_canonicalize_hostname = false
                \trdns = false

                [realms]
                \tCORP.EXAMPLE.COM = {
                \t\tkdc = dc1.corp.example.com
                \t\tadmin_server = dc1.corp.example.com
                \t\tdefault_domain = corp.example.com
                \t}

                [domain_realm]
                \t.corp.example.com = CORP.EXAMPLE.COM
                \tcorp.example.com = CORP.EXAMPLE.COM

                """)
    }

    /// Debian's krb5-config file, shortened, with a stale block for our realm and a comment in it.
    static let existing = """
        includedir /etc/krb5.conf.d/
        [libdefaults]
                default_realm = ATHENA.MIT.EDU
        # The following krb5.conf variables are only for MIT Kerberos.
                kdc_timesync = 1
                forwardable = true
                rdns = true

        [realms]
                ATHENA.MIT.EDU = {
                        kdc = kerberos.mit.edu
                        admin_server = kerberos.mit.edu
                }
                CORP.EXAMPLE.COM = {
                        kdc = old-dc.corp.example.com
                        auth_to_local = RULE:[1:$1@$0]
                }
                ZONE.MIT.EDU = {
                        kdc = casio.mit.edu
                }

        [domain_realm]
                .mit.edu = ATHENA.MIT.EDU
        [logging]
                default = FILE:/var/log/krb5libs.log

        """

    @Test func mergeKeepsEverythingElse() {
        let merged = KerberosConfiguration.render(.lab(), over: Self.existing)
        #expect(
            merged == """
                includedir /etc/krb5.conf.d/
                [libdefaults]
                        default_realm = CORP.EXAMPLE.COM
                # The following krb5.conf variables are only for MIT Kerberos.
                        kdc_timesync = 1
                        forwardable = true
                        rdns = false
                        dns_canonicalize_hostname = false

                [realms]
                        ATHENA.MIT.EDU = {
                                kdc = kerberos.mit.edu
                                admin_server = kerberos.mit.edu
                        }
                        CORP.EXAMPLE.COM = {
                                kdc = dc1.corp.example.com
                                admin_server = dc1.corp.example.com
                                default_domain = corp.example.com
                        }
                        ZONE.MIT.EDU = {
                                kdc = casio.mit.edu
                        }

                [domain_realm]
                        .mit.edu = ATHENA.MIT.EDU
                        .corp.example.com = CORP.EXAMPLE.COM
                        corp.example.com = CORP.EXAMPLE.COM
                [logging]
                        default = FILE:/var/log/krb5libs.log

                """)
    }

    @Test func aSecondRenderChangesNothing() {
        let once = KerberosConfiguration.render(.lab(), over: Self.existing)
        #expect(KerberosConfiguration.render(.lab(), over: once) == once)
        let fresh = KerberosConfiguration.render(.lab(), over: nil)
        #expect(KerberosConfiguration.render(.lab(), over: fresh) == fresh)
    }

    @Test func everyKDCIsListed() {
        var settings = HostSettings.lab()
        settings.kdcs = ["dc1.corp.example.com", "10.0.2.15"]
        let text = KerberosConfiguration.render(settings, over: nil)
        #expect(text.contains("\t\tkdc = dc1.corp.example.com\n\t\tkdc = 10.0.2.15\n\t\tadmin_server = dc1.corp.example.com\n"))
    }

    /// MIT reads `kdc = fd00::10` as the host "fd00" at port ":10": a DC given by its IPv6 address is bracketed.
    @Test func anIPv6KDCIsBracketed() {
        var settings = HostSettings.lab()
        settings.kdcs = ["fd00:ad:22::1", "dc1.corp.example.com", "10.0.2.15"]
        let text = KerberosConfiguration.render(settings, over: nil)
        #expect(
            text.contains(
                "\t\tkdc = [fd00:ad:22::1]\n\t\tkdc = dc1.corp.example.com\n\t\tkdc = 10.0.2.15\n\t\tadmin_server = [fd00:ad:22::1]\n"),
            "\(text)")
        var pinned = HostSettings.lab()
        pinned.pinnedServers = ["fd00:ad:22::1", "dc1.corp.example.com"]
        #expect(SSSDConfiguration.render(pinned, over: nil).contains("\nad_server = [fd00:ad:22::1], dc1.corp.example.com, _srv_\n"))
    }
}
