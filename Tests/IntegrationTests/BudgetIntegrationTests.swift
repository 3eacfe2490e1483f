import AdjoinCore
import Foundation
import Testing

/// `--timeout` bounds the whole join, undo included, when the DC stops answering LDAP right after the
/// account was created (a fake DC relaying to the lab DC, stalling the request that follows the add).
@Suite(.needsLab) struct BudgetIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    func join(_ host: TestHost, through relay: StallingDCRelay, timeout: Int) throws -> (CommandResult, Duration) {
        let start = ContinuousClock.now
        let result = try runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--host-fqdn", host.fqdn,
                "--root", host.root.path, "--no-configure", "--domain-controller", relay.address,
                "--ou", lab.organizationalUnit, "--output", "json", "--timeout", String(timeout),
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        return (result, ContinuousClock.now - start)
    }

    /// Sealed requests after the bind: the search for the account, the add, then the read of its
    /// security descriptor (for the self-deletion grant), which gets no answer.
    static let afterTheAdd = StallingDCRelay.Stall.sealedMessage(2)

    @Test func aStallAfterTheAddEndsInTimeWithTheAccountUndone() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let relay = try StallingDCRelay(in: lab, stallAt: Self.afterTheAdd)
        defer { relay.close() }
        let (result, took) = try join(host, through: relay, timeout: 8)
        #expect(relay.hasStalled)
        #expect(result.status == Status.timeout.exitCode, "\(result.stdout) \(result.stderr)")
        #expect(took < .seconds(10), "the 8 s budget took \(took)")
        let message = try jsonObject(result)["message"] as? String ?? ""
        #expect(message.contains("undone: CN=\(host.name),\(lab.organizationalUnit) is not in the directory"), "\(message)")
        #expect(try admin.count(host.name + "$") == 0)
        #expect(!FileManager.default.fileExists(atPath: host.keytab.path))
        #expect(!FileManager.default.fileExists(atPath: host.root.appendingPathComponent("var/lib/adjoin/joining").path))
    }

    /// When the undo cannot reach the directory either, the join still ends in time, and says which
    /// account it left and why; the host's intent record keeps it, so leave can remove it.
    @Test func anUndoThatCannotFinishNamesTheAccountItLeft() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let relay = try StallingDCRelay(in: lab, stallAt: Self.afterTheAdd, later: .sealedMessage(0))
        defer { relay.close() }
        let (result, took) = try join(host, through: relay, timeout: 8)
        #expect(result.status == Status.timeout.exitCode, "\(result.stdout) \(result.stderr)")
        #expect(took < .seconds(10), "the 8 s budget took \(took)")
        let dn = "CN=\(host.name),\(lab.organizationalUnit)"
        let message = try jsonObject(result)["message"] as? String ?? ""
        #expect(message.contains("the undo could not delete \(dn)") && message.contains("left in the directory"), "\(message)")
        #expect(try admin.count(host.name + "$") == 1)

        let status = try runAgent(["status", "--root", host.root.path, "--output", "json"])
        #expect(status.status == Status.notJoined.exitCode)
        #expect((try jsonObject(status)["message"] as? String)?.contains("interrupted") == true, "\(status.stdout)")
        let left = try runAgent(
            [
                "leave", "--root", host.root.path, "--user", lab.joinUser, "--password-stdin",
                "--domain-controller", lab.dcIP, "--output", "json",
            ], stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(left.status == 0, "\(left.stdout) \(left.stderr)")
        #expect(try jsonObject(left)["removed"] as? [String] == [dn])
        #expect(try admin.count(host.name + "$") == 0)
    }
}
