import AdjoinCore
import Foundation
import Testing

/// A host whose clock is an hour ahead of the lab DC's (libfaketime on the agent alone): the join
/// completes (libkrb5 corrects its own logins) and warns; `status` and the boot join's `--unless-joined`
/// say CLOCK_SKEW with both clocks, and the keys are not reset for it.
@Suite(.serialized, .needsLab) struct ClockSkewIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    /// The agent with its clock an hour ahead.
    func skewed(_ arguments: [String], stdin: URL? = nil) throws -> CommandResult {
        try run(URL(fileURLWithPath: "/usr/bin/faketime"), ["-f", "+3600", Lab.agentBinary.path] + arguments, stdin: stdin)
    }

    @Test func aSkewedClockIsNamedAndDoesNotCostTheKeys() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let flags = [
            "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit, "--host-fqdn", host.fqdn,
            "--root", host.root.path, "--domain-controller", lab.dcIP, "--no-configure", "--owner", "i-0c10c5\(host.name.lowercased())",
            "--output", "json",
        ]
        let joined = try skewed(["join"] + flags, stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(joined.status == 0, "\(joined.stdout) \(joined.stderr)")
        let warnings = try jsonObject(joined)["warnings"] as? [String] ?? []
        #expect(warnings.contains { $0.hasPrefix("this host's clock is ") && $0.contains(" s ahead of the DC's") }, "\(warnings)")
        let kvno = try admin.computer(host.name + "$")?["msds-keyversionnumber"]

        let status = try skewed(["status", "--root", host.root.path, "--domain-controller", lab.dcIP, "--output", "json"])
        #expect(status.status == Status.clockSkew.exitCode, "\(status.stdout) \(status.stderr)")
        let message = try jsonObject(status)["message"] as? String ?? ""
        #expect(
            message.contains("this host's clock says ") && message.contains(", the DC's ") && message.contains(" s ahead of it"),
            "\(message)")

        // The boot unit's join: a skewed clock is not a broken join; it fails (to be tried again), keys untouched.
        let boot = try skewed(["join", "--unless-joined"] + flags, stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(boot.status == Status.clockSkew.exitCode, "\(boot.stdout) \(boot.stderr)")
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == kvno)

        // With the clock right again, the host is healthy as it was.
        let healthy = try runAgent(["status", "--root", host.root.path, "--domain-controller", lab.dcIP])
        #expect(healthy.status == 0, "\(healthy.stdout) \(healthy.stderr)")
        #expect(try runAgent(["leave", "--root", host.root.path, "--domain-controller", lab.dcIP]).status == 0)
    }
}
