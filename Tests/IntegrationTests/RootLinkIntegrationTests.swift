import Foundation
import Testing

/// An image root whose /etc/krb5.keytab is an absolute link (as images that keep keys on another
/// volume have): `join --root` writes, proves, checks and rotates the keys at the link's target inside
/// the root; the building machine's file of that name is never read or made.
extension LifecycleIntegrationTests {
    @Test func aKeytabLinkInTheRootIsFollowedInsideIt() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let target = "/var/lib/adjoin-link-test-\(host.name).keytab"
        let outside = URL(fileURLWithPath: target)
        #expect(!FileManager.default.fileExists(atPath: outside.path))
        defer { try? FileManager.default.removeItem(at: outside) }
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: host.root.appendingPathComponent("etc"), withIntermediateDirectories: true)
        try fileManager.createDirectory(at: host.root.appendingPathComponent("var/lib"), withIntermediateDirectories: true)
        try fileManager.createSymbolicLink(atPath: host.keytab.path, withDestinationPath: target)
        let inside = host.root.appendingPathComponent(String(target.dropFirst()))

        let joined = try runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
                "--host-fqdn", host.fqdn, "--domain-controller", lab.dcIP, "--no-configure", "--root", host.root.path,
                "--output", "json",
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(try fileManager.destinationOfSymbolicLink(atPath: host.keytab.path) == target, "the link stays a link")
        #expect(try kinit(inside, host.name).status == 0, "the keys are at the link's target inside the root")
        #expect(try (fileManager.attributesOfItem(atPath: inside.path)[.posixPermissions] as? Int) == 0o600)
        #expect(!fileManager.fileExists(atPath: outside.path))

        let status = try runAgent(["status", "--root", host.root.path, "--output", "json"])
        #expect(status.stdout.contains("holds kvno 1 for"), "\(status.stdout)")
        let rotated = try runAgent(["rotate", "--max-age", "0", "--root", host.root.path, "--output", "json"])
        #expect(rotated.status == 0, "\(rotated.stdout)\(rotated.stderr)")
        #expect(try keytabVersions(inside, principal: "\(host.name)$@\(lab.realm)") == [1, 2])
        #expect(!fileManager.fileExists(atPath: outside.path))
    }
}
