import AdjoinCore
import Testing

@Suite struct HostPortTests {
    @Test(
        arguments: [
            ("10.0.0.5", "10.0.0.5", nil),
            ("10.0.0.5:3389", "10.0.0.5", 3389),
            ("dc1.corp.example.com", "dc1.corp.example.com", nil),
            ("dc1.corp.example.com:389", "dc1.corp.example.com", 389),
            ("[fd00::5]:389", "fd00::5", 389),
            ("fd00::5", "fd00::5", nil),
            ("[fd00:ad:22::1]", "fd00:ad:22::1", nil),
            ("[fd00:ad:22::1]:53", "fd00:ad:22::1", 53),
            (" dc1 ", "dc1", nil),
        ] as [(String, String, UInt16?)])
    func parses(text: String, host: String, port: UInt16?) throws {
        let parsed = try HostPort(parsing: text)
        #expect(parsed.host == host)
        #expect(parsed.port == port)
    }

    @Test(arguments: [
        "", "dc1:0", "dc1:65536", "dc1:http", "[fd00::5", "[fd00::5]389", "[fd00::5]:", "[dc1]:389", "[10.0.0.5]", "fd00::5::1",
        "dc1;rm -rf /", "dc1\nkdc = evil", "-dc1", "a b",
    ])
    func rejects(text: String) {
        let error = #expect(throws: AdjoinError.self) { try HostPort(parsing: text) }
        #expect(error?.status == .invalidInput)
    }

    /// An IPv6 address is written back in brackets where a port follows, as it was given.
    @Test func ipv6AddressesAreShownInBrackets() throws {
        #expect(try HostPort(parsing: "[fd00:ad:22::1]:88").description == "[fd00:ad:22::1]:88")
        #expect(try HostPort(parsing: "fd00:ad:22::1").description == "[fd00:ad:22::1]")
    }
}

@Suite struct DomainNameTests {
    @Test func normalises() throws {
        let name = try DomainName("Corp.Example.COM.")
        #expect(name.value == "corp.example.com")
        #expect(name.realm == "CORP.EXAMPLE.COM")
        #expect(name.dcLocatorName == "_ldap._tcp.dc._msdcs.corp.example.com")
        #expect(name.matches("CORP.EXAMPLE.COM."))
        #expect(!name.matches("example.com"))
    }

    @Test(arguments: [
        "", ".", "corp..example.com", "corp example.com", "corp.example.com]\nx", "-corp.com", "corp-.com",
        String(repeating: "a", count: 64) + ".com",
    ])
    func rejects(text: String) {
        let error = #expect(throws: AdjoinError.self) { try DomainName(text) }
        #expect(error?.status == .invalidInput)
    }
}

@Suite struct JSONTests {
    @Test func keepsKeyOrderAndEscapes() {
        let value = JSON.object([
            ("status", .string("OK")), ("message", .string("a\"b\\c\nd\u{1B}")), ("n", .number(-5)), ("x", .null),
            ("l", .array([.bool(true)])),
        ])
        #expect(value.serialized() == #"{"status":"OK","message":"a\"b\\c\nd\u001b","n":-5,"x":null,"l":[true]}"#)
    }
}

@Suite struct StatusTests {
    @Test func everyStatusHasItsOwnExitCodeExceptSuccesses() {
        let failures = Status.all.filter { !$0.isSuccess }
        #expect(Set(failures.map(\.exitCode)).count == failures.count)
        #expect(Status(rawValue: "NETWORK_ERROR") == .networkError)
        #expect(Status.networkError.exitCode == 12)
    }
}
