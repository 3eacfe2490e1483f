@testable import HostConfig
import Testing

@Suite struct NameServiceSwitchTests {
    @Test func addsSSSAfterTheSourcesThere() {
        let debian = """
            # /etc/nsswitch.conf
            passwd:         files systemd
            group:          files systemd
            shadow:         files systemd
            gshadow:        files systemd

            hosts:          files dns
            services:       db files
            netgroup:       nis

            """
        #expect(
            NameServiceSwitch.render(over: debian) == """
                # /etc/nsswitch.conf
                passwd:         files systemd sss
                group:          files systemd sss
                shadow:         files systemd sss
                gshadow:        files systemd

                hosts:          files dns
                services:       db files sss
                netgroup:       nis sss
                sudoers:        files sss

                """)
    }

    @Test func keepsCommentsAndDoesNotRepeat() {
        let text =
            "passwd: files sss # local first\ngroup: files # local\nshadow: files\nnetgroup: files\nservices: files\nsudoers: files\n"
        let rendered = NameServiceSwitch.render(over: text)
        #expect(rendered.hasPrefix("passwd: files sss # local first\ngroup: files sss # local\nshadow: files sss\n"))
        #expect(NameServiceSwitch.render(over: rendered) == rendered)
    }
}
