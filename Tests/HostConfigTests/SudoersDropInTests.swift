import AdjoinCore
@testable import HostConfig
import Testing

@Suite struct SudoersDropInTests {
    @Test func escapesEverythingButLettersDigitsAndSafePunctuation() throws {
        #expect(SudoersDropIn.escaped("linux-admins") == "linux-admins")
        #expect(SudoersDropIn.escaped("Domain Admins") == "Domain\\ Admins")
        #expect(SudoersDropIn.escaped("a=b:c@d") == "a\\=b\\:c\\@d")
        #expect(SudoersDropIn.render(try GroupName("Domain Admins")).contains("\n%Domain\\ Admins ALL=(ALL:ALL) ALL\n"))
    }
}
