import AdjoinCore
import Testing
@testable import Kerberos
#if canImport(Glibc)
    import Glibc
#endif

@Suite struct GSSAPIConfigurationTests {
    /// What GSSAPI reads: KRB5_CONFIG names the in-memory file, which holds the join-independent profile.
    private func configuration() throws -> (path: String, text: String) {
        let path = try #require(getenv("KRB5_CONFIG").map { String(cString: $0) })
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        try #require(descriptor >= 0, "cannot open \(path)")
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = try buffer.withUnsafeMutableBytes { try POSIX.read(descriptor, into: $0) }
        return (path, String(decoding: buffer.prefix(count), as: UTF8.self))
    }

    @Test func setsUpOneProfileOncePerProcess() throws {
        try GSSAPIConfiguration.prepareProcess()
        let first = try configuration()
        #expect(first.path.hasPrefix("/proc/self/fd/"))
        #expect(first.text == KerberosProfile.gssapi.configurationText)
        try GSSAPIConfiguration.prepareProcess()
        let second = try configuration()
        // The same file, not a new one per call: nothing changes the process's environment after the first.
        #expect(second.path == first.path)
        #expect(second.text == first.text)
    }

    @Test func gssapiProfileTakesNamesAsGivenAndNamesNoRealm() {
        let text = KerberosProfile.gssapi.configurationText
        #expect(text.contains("\tdns_canonicalize_hostname = false\n"))
        #expect(text.contains("\trdns = false\n"))
        #expect(text.contains("\tdns_lookup_kdc = false\n"))
        #expect(!text.contains("default_realm"))
        #expect(!text.contains("[realms]"))
    }
}
