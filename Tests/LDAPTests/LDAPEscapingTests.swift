import Testing
@testable import LDAP

@Suite struct LDAPEscapingTests {
    @Test func filterValuesCannotChangeTheFilter() {
        #expect(LDAPEscaping.filterValue("WEB1$") == "WEB1$")
        #expect(LDAPEscaping.filterValue("*)(objectClass=*") == "\\2a\\29\\28objectClass=\\2a")
        #expect(LDAPEscaping.filterValue("a\\b") == "a\\5cb")
        #expect(LDAPEscaping.filterValue("nul\u{0}byte") == "nul\\00byte")
        #expect(LDAPEscaping.filterValue("é") == "\\c3\\a9")
    }

    @Test func dnValuesCannotAddComponents() {
        #expect(LDAPEscaping.dnValue("WEB1") == "WEB1")
        #expect(LDAPEscaping.dnValue("a,OU=Domain Controllers") == "a\\,OU\\=Domain Controllers")
        #expect(LDAPEscaping.dnValue("x+y\"z\\<>;") == "x\\+y\\\"z\\\\\\<\\>\\;")
        #expect(LDAPEscaping.dnValue(" lead and trail ") == "\\ lead and trail\\ ")
        #expect(LDAPEscaping.dnValue("#hash") == "\\#hash")
        #expect(LDAPEscaping.dnValue("line\nbreak") == "line\\0abreak")
        #expect(LDAPEscaping.dnValue("Über") == "Über")
    }
}
