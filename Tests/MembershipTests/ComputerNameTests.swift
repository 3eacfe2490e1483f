import AdjoinCore
import Testing
@testable import Membership

@Suite struct ComputerNameTests {
    @Test func shortLabelsAreUpperCased() throws {
        #expect(try ComputerName(hostFQDN: "web1.corp.example.com").value == "WEB1")
        #expect(try ComputerName(hostFQDN: "ip-10-0-0-12.ec2.internal").value == "IP-10-0-0-12")
        #expect(try ComputerName(hostFQDN: "exactly15chars1.corp").value == "EXACTLY15CHARS1")
        #expect(try ComputerName(hostFQDN: "web1.corp.example.com").samAccountName == "WEB1$")
    }

    @Test func longLabelsKeepTenCharactersAndAHashOfTheFQDN() throws {
        let first = try ComputerName(hostFQDN: "web-frontend-prod-01.corp.example.com")
        let second = try ComputerName(hostFQDN: "web-frontend-prod-02.corp.example.com")
        #expect(first.value.count == 15)
        #expect(first.value.hasPrefix("WEB-FRONTE-"))
        #expect(first != second)
        // Stable: the same FQDN always gives the same name, whatever its case.
        #expect(try ComputerName(hostFQDN: "WEB-FRONTEND-PROD-01.corp.example.com") == first)
        #expect(first.value.dropFirst(11).allSatisfy { "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".contains($0) })
    }

    @Test func suffixesSpreadOverManyHosts() throws {
        let names = try (0..<2000).map { try ComputerName(hostFQDN: "kubernetes-worker-node-\($0).corp.example.com").value }
        // 20 bits of hash: 2000 names should nearly all differ (expected collisions ~2).
        #expect(Set(names).count >= 1990)
    }

    @Test(arguments: ["web_1.corp", "-web.corp", "web 1.corp", "12345.corp", ".corp", "wéb.corp", "a;b.corp"])
    func rejectsNamesThatCannotBeAccounts(fqdn: String) {
        let error = #expect(throws: AdjoinError.self) { try ComputerName(hostFQDN: fqdn) }
        #expect(error?.status == .invalidInput)
    }

    @Test func explicitNamesAreCheckedNotShortened() throws {
        #expect(try ComputerName(explicit: "db7").value == "DB7")
        #expect(throws: AdjoinError.self) { try ComputerName(explicit: "sixteen-chars-xx") }
        #expect(throws: AdjoinError.self) { try ComputerName(explicit: "") }
        #expect(throws: AdjoinError.self) { try ComputerName(explicit: "db$") }
    }
}

@Suite struct MachinePasswordTests {
    @Test func longRandomAndComplex() {
        var seen = Set<[UInt8]>()
        for _ in 0..<200 {
            let bytes = MachinePassword.generate().withUnsafeBytes { Array($0) }
            #expect(bytes.count == 120)
            #expect(bytes.allSatisfy { MachinePassword.alphabet.contains($0) })
            #expect(bytes.contains { MachinePassword.lower.contains($0) })
            #expect(bytes.contains { MachinePassword.upper.contains($0) })
            #expect(bytes.contains { MachinePassword.digits.contains($0) })
            #expect(bytes.contains { MachinePassword.symbols.contains($0) })
            #expect(!bytes.contains(UInt8(ascii: "\"")) && !bytes.contains(UInt8(ascii: "\\")))
            seen.insert(bytes)
        }
        #expect(seen.count == 200)
    }

    @Test func unicodePwdIsTheQuotedPasswordInUTF16LE() {
        let value = MachinePassword.unicodePwd(SecretBytes(Array("aB1!".utf8)))
        #expect(value.withUnsafeBytes { Array($0) } == [0x22, 0, 0x61, 0, 0x42, 0, 0x31, 0, 0x21, 0, 0x22, 0])
    }
}

@Suite struct JoinRequestTests {
    func request(user: String = "adjoiner", ou: String? = nil, fqdn: String = "web1.corp.example.com") throws -> JoinRequest {
        var request = JoinRequest(
            domain: try .init("corp.example.com"), user: user, password: SecretBytes(Array("x".utf8)),
            hostFQDN: fqdn, computerName: try ComputerName(hostFQDN: fqdn),
            owner: AccountOwner("i-1"), osRelease: OSRelease(name: "Debian GNU/Linux", version: "12"))
        request.organizationalUnit = ou
        return request
    }

    @Test func userNamesInEveryUsualForm() throws {
        #expect(try request(user: "adjoiner").userPrincipal == "adjoiner@CORP.EXAMPLE.COM")
        #expect(try request(user: "CORP\\adjoiner").userPrincipal == "adjoiner@CORP.EXAMPLE.COM")
        #expect(try request(user: "adjoiner@corp.example.com").userPrincipal == "adjoiner@CORP.EXAMPLE.COM")
    }

    @Test func validatesWhatPeopleType() throws {
        try request(ou: "OU=Linux Servers,DC=corp,DC=example,DC=com").validate()
        #expect(throws: AdjoinError.self) { try request(ou: "Linux Servers").validate() }
        #expect(throws: AdjoinError.self) { try request(ou: "OU=x,DC=other,DC=com").validate() }
        #expect(throws: AdjoinError.self) { try request(ou: "OU=a\nb,DC=corp,DC=example,DC=com").validate() }
        #expect(throws: AdjoinError.self) { try request(user: "ad\njoiner").validate() }
        #expect(throws: AdjoinError.self) { try request(fqdn: "web1").validate() }
        try request(user: "adjoiner@CORP.EXAMPLE.COM").validate()
    }

    /// The login is pinned to the domain's DC: a user of another realm (or an alternative UPN suffix)
    /// is refused before anything goes on the wire, naming the form that works.
    @Test func aUserOfAnotherRealmIsInvalidInput() throws {
        for user in ["adjoiner@evil.example", "adjoiner@example.com", "adjoiner@sub.corp.example.com"] {
            let error = #expect(throws: AdjoinError.self) { try request(user: user).validate() }
            #expect(error?.status == .invalidInput)
            #expect(error?.message.contains("give the user's sAMAccountName, such as adjoiner") == true, "\(error?.message ?? "")")
        }
        #expect(throws: AdjoinError.self) { try JoinRequest.checkUser("adjoiner@evil.example", domain: "corp.example.com") }
        try JoinRequest.checkUser("adjoiner@evil.example", domain: nil)
    }

    @Test func baseDN() throws {
        #expect(try DomainName("corp.example.com").baseDN == "DC=corp,DC=example,DC=com")
    }
}

@Suite struct HostFactsTests {
    @Test func osReleaseNameAndVersion() {
        let release = OSRelease.parse(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n")
        #expect(release == OSRelease(name: "Debian GNU/Linux", version: "12"))
        #expect(OSRelease.parse("NAME='Amazon Linux'\nVERSION_ID=2023").version == "2023")
    }

    @Test func ownerIsReadBackOnlyWhenAdjoinWroteIt() {
        #expect(AccountOwner.parse(recorded: ["adjoin-owner: i-0123"]) == AccountOwner("i-0123"))
        #expect(AccountOwner.parse(recorded: ["Rack 4, ask Bob"]) == nil)
        #expect(AccountOwner.parse(recorded: []) == nil)
    }

    @Test func machineIdentityIsAHashNotTheMachineId() throws {
        let identity = try AccountOwner.machine(files: HostFiles())
        let machineId = try #require(try HostFiles().read("/etc/machine-id")).filter { $0 > 0x20 }
        #expect(identity.value.hasPrefix("machine:"))
        #expect(identity.value.count == "machine:".count + 16)
        #expect(!identity.value.contains(String(decoding: machineId.prefix(16), as: UTF8.self)))
    }

    /// The expected names are computed independently (Python's integers, base 32 with digits 0-9A-V).
    @Test func instanceIDsMapOneToOneOntoNames() throws {
        #expect(try ComputerName(instanceID: "i-0123456789abcdef0").value == "I014D2MF2DBPNNG")
        #expect(try ComputerName(instanceID: "i-fffffffffffffffff").value == "I7VVVVVVVVVVVVV")
        #expect(try ComputerName(instanceID: "i-00000000000000000").value == "I00000000000000")
        #expect(try ComputerName(instanceID: "i-1a2b3c4d").value == "I-1A2B3C4D")
        // Ids that differ in their last digit only, as a reused address or host name never would help.
        let names = try (0..<4096).map { try ComputerName(instanceID: "i-0abcdef0123456" + String(format3hex: $0)).value }
        #expect(Set(names).count == 4096)
        #expect(names.allSatisfy { $0.count == 15 })
    }

    @Test(arguments: [
        "", "i-", "0123456789abcdef0", "i-0123456789ABCDEF0", "i-0123456789abcdef", "i-0123456789abcdef01", "i-1a2b3c4g", "I-1a2b3c4d",
    ])
    func refusesWhatIsNotAnInstanceID(_ text: String) {
        #expect(throws: AdjoinError.self) { try ComputerName(instanceID: text) }
    }
}

private extension String {
    init(format3hex value: Int) {
        let hex = String(value, radix: 16)
        self = String(repeating: "0", count: 3 - hex.count) + hex
    }
}
