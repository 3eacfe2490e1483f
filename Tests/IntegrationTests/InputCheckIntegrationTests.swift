import AdjoinCore
import Foundation
import Testing

/// Paths stay under --root, and names are checked as the DNS and the directory check them: each bad
/// input is INVALID_INPUT naming what is wrong, with nothing written and nothing created.
@Suite(.needsLab) struct InputCheckIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    func join(
        _ host: TestHost, fqdn: String? = nil, user: String? = nil, ou: String? = nil, extra: [String] = [],
        password: URL? = nil
    ) throws -> CommandResult {
        try runAgent(
            [
                "join", "--domain", lab.domain, "--user", user ?? lab.joinUser, "--password-stdin", "--host-fqdn", fqdn ?? host.fqdn,
                "--root", host.root.path, "--no-configure", "--dns-server", lab.dcIP, "--ou", ou ?? lab.organizationalUnit,
                "--output", "json",
            ] + extra,
            stdin: password ?? URL(fileURLWithPath: lab.joinPasswordFile))
    }

    func expectRefused(
        _ result: CommandResult, naming text: String, _ host: TestHost,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(result.status == Status.invalidInput.exitCode, "\(result.stdout) \(result.stderr)", sourceLocation: sourceLocation)
        let message = try jsonObject(result)["message"] as? String ?? ""
        #expect(message.contains(text), "\(message)", sourceLocation: sourceLocation)
        #expect(try admin.count(host.name + "$") == 0, sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: host.keytab.path), sourceLocation: sourceLocation)
    }

    @Test func aRelativeKeytabGoesUnderTheRootAndOneThatClimbsOutIsRefused() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("escaped-\(host.name).kt")
        let climbing = String(repeating: "../", count: host.root.pathComponents.count + 1) + String(outside.path.dropFirst())
        try expectRefused(try join(host, extra: ["--keytab", climbing]), naming: "--keytab", host)
        #expect(!FileManager.default.fileExists(atPath: outside.path))
        #expect(!FileManager.default.fileExists(atPath: host.root.path + ".."))

        let joined = try join(host, extra: ["--keytab", "x.kt"])
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(FileManager.default.fileExists(atPath: host.root.appendingPathComponent("x.kt").path))
        #expect(!FileManager.default.fileExists(atPath: host.root.path + "x.kt"))
        #expect(
            try String(contentsOf: host.root.appendingPathComponent("var/lib/adjoin/joined"), encoding: .utf8).contains("keytab=/x.kt\n"))
    }

    /// A mistyped --root (one that does not exist) or a file is refused before anything: no account is
    /// made for a system that is not there, and nothing is created where the root should be.
    @Test func aRootThatIsNotADirectoryIsRefused() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let missing = host.root.appendingPathComponent("no-such-image")
        try expectRefused(try join(host, extra: ["--root", missing.path]), naming: "--root \(missing.path) does not exist", host)
        #expect(!FileManager.default.fileExists(atPath: missing.path))
        let file = host.root.appendingPathComponent("a-file")
        try Data().write(to: file)
        try expectRefused(try join(host, extra: ["--root", file.path]), naming: "--root \(file.path) is not a directory", host)
        for command in [["status"], ["rotate"], ["leave"]] {
            let refused = try runAgent(command + ["--root", missing.path, "--output", "json"])
            #expect(refused.status == Status.invalidInput.exitCode, "\(command): \(refused.stdout)")
        }
    }

    @Test func anAbsoluteHostNameLosesItsTrailingDot() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let joined = try join(host, fqdn: host.fqdn + ".")
        #expect(joined.status == 0, "\(joined.stderr)")
        let object = try #require(try admin.computer(host.name + "$"))
        #expect(object["dnshostname"] == [host.fqdn])
        #expect(
            Set(object["serviceprincipalname"] ?? []) == [
                "host/\(host.name)", "host/\(host.fqdn)", "RestrictedKrbHost/\(host.name)", "RestrictedKrbHost/\(host.fqdn)",
            ])
        #expect(try keytabVersions(host.keytab, principal: "host/\(host.fqdn)@\(lab.realm)") == [1])

        // A leave's user of another realm is refused once the record names the domain, before the DC.
        let leave = try runAgent(
            [
                "leave", "--root", host.root.path, "--dns-server", lab.dcIP, "--user", "adjoiner@evil.example",
                "--password-stdin", "--output", "json",
            ], stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(leave.status == Status.invalidInput.exitCode, "\(leave.stdout) \(leave.stderr)")
        #expect(try admin.count(host.name + "$") == 1)
    }

    @Test func namesTheDNSOrTheDirectoryWouldRefuseAreInvalidInput() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let longLabel = String(repeating: "a", count: 64)
        try expectRefused(try join(host, fqdn: "\(host.name.lowercased()).\(longLabel).\(lab.domain)"), naming: longLabel, host)
        try expectRefused(try join(host, fqdn: "\(longLabel).\(lab.domain)"), naming: "63", host)
        let missingOU = "OU=No Such Unit,\(lab.baseDN)"
        try expectRefused(try join(host, ou: missingOU), naming: missingOU, host)
        let multiValued = "OU=a+CN=b,\(lab.baseDN)"
        try expectRefused(try join(host, ou: multiValued), naming: multiValued, host)
        for user in ["@", "adjoiner@", "a\\b\\c", "\\adjoiner", "CORP\\adjoiner@\(lab.domain)"] {
            try expectRefused(try join(host, user: user), naming: "--user '\(user)'", host)
        }
        // Another realm: refused before the DNS is asked about it (it was NETWORK_ERROR after trying).
        try expectRefused(try join(host, user: "adjoiner@evil.example"), naming: "names the realm EVIL.EXAMPLE", host)
        let withNUL = host.root.appendingPathComponent("nul-password")
        try Data(try lab.joinPassword() + [0] + Array("tail\n".utf8)).write(to: withNUL)
        try expectRefused(try join(host, password: withNUL), naming: "NUL", host)
    }
}
