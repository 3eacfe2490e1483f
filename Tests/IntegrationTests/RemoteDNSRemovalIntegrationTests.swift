import Foundation
import Testing

/// A remote leave (and so the sweep, which removes accounts the same way) removes the DNS records the
/// machine registered for itself, its address name and its PTR record, found by the nodes' owner: the
/// machine's SID. A record under the same name that an administrator wrote is not the machine's and
/// stays; a user without the right to delete DNS records leaves them with a warning. Read back with dig.
@Suite(.needsLab) struct RemoteDNSRemovalIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    let dns: DNSRegistrationIntegrationTests
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
        dns = try DNSRegistrationIntegrationTests()
    }

    func remoteLeave(_ name: String, user: String, passwordFile: String, _ extra: [String] = []) throws -> CommandResult {
        // A dry run prints text only.
        let output = extra.contains("--dry-run") ? [] : ["--output", "json"]
        return try run(
            Lab.agentBinary,
            [
                "leave", "--computer-name", name, "--domain", lab.domain, "--user", user, "--password-stdin",
                "--domain-controller", lab.dcIP,
            ] + output + extra,
            stdin: URL(fileURLWithPath: passwordFile))
    }

    @Test func aRemoteLeaveRemovesTheRecordsTheMachineRegisteredAndNoOthers() throws {
        let zone = try dns.reverseZone()
        let host = try TestHost(domain: lab.domain)
        let other = try TestHost(domain: lab.domain)
        let third = Int.random(in: 100...250)
        let address = "10.66.\(third).1"
        let pointer = "1.\(third).66.10.in-addr.arpa"
        defer {
            dns.cleanUp(host, names: [host.fqdn])
            dns.cleanUp(other, names: [other.fqdn])
            try? dns.adminUpdate(["zone \(zone)", "update delete \(pointer) PTR"])
        }
        let joined = try dns.join(host, ["--dns-address", address])
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(try dns.addresses(host.fqdn) == [address])
        #expect(try dns.pointers(address) == [host.fqdn + "."])
        // A host whose name an administrator registered: the node is not its machine's.
        let unregistered = try dns.join(other, ["--no-register-dns"])
        #expect(unregistered.status == 0, "\(unregistered.stderr)")
        try dns.adminUpdate(["update add \(other.fqdn) 600 A 10.68.9.9"])

        let dryRun = try remoteLeave(host.name, user: lab.joinUser, passwordFile: lab.joinPasswordFile, ["--allow-unmarked", "--dry-run"])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("and its child objects, and its DNS records \(host.fqdn), \(pointer) (through"), "\(dryRun.stdout)")
        #expect(try dns.addresses(host.fqdn) == [address])

        let left = try remoteLeave(host.name, user: lab.joinUser, passwordFile: lab.joinPasswordFile, ["--allow-unmarked"])
        #expect(left.status == 0, "\(left.stderr)")
        #expect(try dns.json(left)["dnsRecord"] as? String == "removed \(host.fqdn), \(pointer)")
        #expect(try admin.computer(host.name + "$") == nil)
        #expect(try dns.addresses(host.fqdn).isEmpty)
        #expect(try dns.pointers(address).isEmpty)

        let otherLeft = try remoteLeave(other.name, user: lab.joinUser, passwordFile: lab.joinPasswordFile, ["--allow-unmarked"])
        #expect(otherLeft.status == 0, "\(otherLeft.stderr)")
        #expect(try dns.json(otherLeft)["dnsRecord"] is NSNull)
        #expect(try dns.addresses(other.fqdn) == ["10.68.9.9"])
    }

    /// The minimal join user may delete computer accounts in its OU but not DNS records: the account
    /// goes, the record stays, and the output says why and what to grant.
    @Test func aUserThatMayNotDeleteDNSRecordsIsTold() throws {
        let host = try TestHost(domain: lab.domain)
        defer { dns.cleanUp(host, names: [host.fqdn]) }
        let joined = try run(
            Lab.agentBinary,
            [
                "join", "--domain", lab.domain, "--user", lab.minimalUser, "--password-stdin", "--host-fqdn", host.fqdn,
                "--root", host.root.path, "--no-configure", "--domain-controller", lab.dcIP,
                "--ou", lab.minimalOrganizationalUnit, "--dns-address", "10.67.8.1",
            ],
            stdin: URL(fileURLWithPath: lab.minimalPasswordFile))
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(try dns.addresses(host.fqdn) == ["10.67.8.1"])
        let left = try remoteLeave(host.name, user: lab.minimalUser, passwordFile: lab.minimalPasswordFile, ["--allow-unmarked"])
        #expect(left.status == 0, "\(left.stderr)")
        #expect(try admin.computer(host.name + "$") == nil)
        let outcome = try #require(try dns.json(left)["dnsRecord"] as? String, "\(left.stdout)")
        #expect(outcome.contains("\(host.fqdn) stays in DNS") && outcome.contains("may not delete its record"), "\(outcome)")
        #expect(try dns.addresses(host.fqdn) == ["10.67.8.1"])
    }
}
