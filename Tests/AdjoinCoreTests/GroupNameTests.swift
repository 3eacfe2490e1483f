import AdjoinCore
import Testing

@Suite struct GroupNameTests {
    @Test(arguments: ["linux-admins", "Domain Admins", "ops@corp.example.com", "team_a.b:c/d=e+f", "Équipe Linux", "グループ"])
    func accepts(_ name: String) throws {
        #expect(try GroupName(name).value == name)
    }

    @Test(arguments: [
        "", " admins", "admins ", "a\nb", "a\rb", "a\tb", "a\u{0}b", "a\u{7f}b", "a,b", "[sssd]", "a]b", "a;b", "a#b",
        "CORP\\admins", "%admins", "a\"b", "a!b", "a(b)", "a\u{200B}b", String(repeating: "a", count: 257),
    ])
    func rejects(_ name: String) {
        #expect(throws: AdjoinError.self) { try GroupName(name) }
    }

    @Test func theErrorNamesTheCharacter() {
        do {
            _ = try GroupName("admins\n[domain/evil]")
            Issue.record("accepted a newline")
        } catch {
            #expect(error.status == .invalidInput)
            #expect(error.message.contains("U+A"))
            #expect(!error.message.contains("\n"))
        }
    }
}
