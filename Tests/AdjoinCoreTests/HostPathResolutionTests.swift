import AdjoinCore
import Foundation
import Testing
import TestSupport

/// Under --root, links are followed inside the root, never out of it: authselect's absolute links
/// (/etc/pam.d/system-auth -> /etc/authselect/system-auth) must name the image's files, not the machine's.
@Suite struct HostPathResolutionTests {
    let scratch = ScratchRoot("adjoin-links")
    var root: URL { scratch.url }
    var files: HostFiles { HostFiles(root: root.path) }

    func url(_ hostPath: String) -> URL { root.appendingPathComponent(String(hostPath.dropFirst())) }

    func write(_ text: String, _ hostPath: String) throws {
        try FileManager.default.createDirectory(at: url(hostPath).deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url(hostPath))
    }

    func link(_ hostPath: String, to target: String) throws {
        try FileManager.default.createDirectory(at: url(hostPath).deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: url(hostPath).path, withDestinationPath: target)
    }

    func text(_ hostPath: String) -> String? {
        (try? Data(contentsOf: url(hostPath))).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func absoluteLinksAreTakenFromTheRoot() throws {
        // A target that also exists on the machine itself: following it there would read the machine's file.
        try write("the image's passwd\n", "/etc/passwd")
        try link("/etc/pam.d/system-auth", to: "/etc/authselect/system-auth")
        try write("auth sufficient pam_sss.so\n", "/etc/authselect/system-auth")
        try link("/etc/alias", to: "/etc/passwd")
        #expect(try files.resolved("/etc/pam.d/system-auth") == "/etc/authselect/system-auth")
        #expect(try files.read("/etc/pam.d/system-auth") == Array("auth sufficient pam_sss.so\n".utf8))
        #expect(try files.read("/etc/alias") == Array("the image's passwd\n".utf8))
        #expect(files.exists("/etc/pam.d/system-auth"))
    }

    @Test func relativeLinksDotDotAndChainsStayInsideTheRoot() throws {
        try write("nss\n", "/etc/authselect/nsswitch.conf")
        try link("/etc/nsswitch.conf", to: "authselect/nsswitch.conf")
        try link("/etc/chain", to: "/etc/nsswitch.conf")
        // ".." past the top stays at the root, as it does for a process chrooted there.
        try link("/etc/escape", to: "../../../../etc/nsswitch.conf")
        try link("/lib", to: "usr/lib")
        try write("module\n", "/usr/lib/x86_64-linux-gnu/security/pam_sss.so")
        #expect(try files.resolved("/etc/chain") == "/etc/authselect/nsswitch.conf")
        #expect(try files.resolved("/etc/escape") == "/etc/authselect/nsswitch.conf")
        #expect(try files.resolved("/lib/x86_64-linux-gnu/security/pam_sss.so") == "/usr/lib/x86_64-linux-gnu/security/pam_sss.so")
        #expect(try files.read("/etc/escape") == Array("nss\n".utf8))
        // A link to a file that is not there yet names that file; a path with no link is itself.
        try link("/etc/pam.d/password-auth", to: "/etc/authselect/password-auth")
        #expect(try files.resolved("/etc/pam.d/password-auth") == "/etc/authselect/password-auth")
        #expect(!files.exists("/etc/pam.d/password-auth"))
        #expect(try files.resolved("/etc/./krb5.conf") == "/etc/krb5.conf")
    }

    @Test func aLinkLoopIsAnErrorNotAHang() throws {
        try link("/etc/a", to: "/etc/b")
        try link("/etc/b", to: "/etc/a")
        #expect(throws: AdjoinError.self) { try files.resolved("/etc/a") }
        #expect(!files.exists("/etc/a"))
    }

    @Test func writingThroughALinkChangesTheFileItNamesAndKeepsTheLink() throws {
        try write("before\n", "/etc/authselect/system-auth")
        try link("/etc/pam.d/system-auth", to: "/etc/authselect/system-auth")
        try files.write(Array("after\n".utf8), to: "/etc/pam.d/system-auth", mode: 0o644)
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: url("/etc/pam.d/system-auth").path) == "/etc/authselect/system-auth")
        #expect(text("/etc/authselect/system-auth") == "after\n")
        // The original is kept by the file's own path, and leave puts it back there.
        let kept = try files.keptOriginals()
        #expect(kept.map(\.hostPath) == ["/etc/authselect/system-auth"])
        #expect(try files.restore(kept[0]))
        #expect(text("/etc/authselect/system-auth") == "before\n")
        #expect(try files.read("/etc/pam.d/system-auth") == Array("before\n".utf8))
    }

    @Test func aFileThatATookReplacedWithALinkComesBackInItsPlace() throws {
        try write("the distribution's own stack\n", "/etc/pam.d/system-auth")
        try files.keepOriginal(of: "/etc/pam.d/system-auth")
        try files.keepOriginal(of: "/etc/authselect/system-auth")
        // What `authselect select --force` does to a system it has never configured:
        try FileManager.default.removeItem(at: url("/etc/pam.d/system-auth"))
        try write("generated\n", "/etc/authselect/system-auth")
        try link("/etc/pam.d/system-auth", to: "/etc/authselect/system-auth")

        for original in try files.keptOriginals() { #expect(try files.restore(original)) }
        #expect(text("/etc/pam.d/system-auth") == "the distribution's own stack\n")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: url("/etc/pam.d/system-auth").path)) == nil)
        #expect(!FileManager.default.fileExists(atPath: url("/etc/authselect/system-auth").path))
    }
}
