import Foundation
import Testing

/// The host's A record in the lab DC's DNS: registered by the join with a GSS-TSIG update signed as the
/// machine, moved by a rerun with another address, removed by leave (only this host's address), and a
/// refusal reported as a warning. Read back with the real `dig`; other hosts' records are written as the
/// administrator with the real `nsupdate -g` (BIND's GSS-TSIG client).
@Suite(.needsLab) struct DNSRegistrationIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    func join(_ host: TestHost, _ extra: [String]) throws -> CommandResult {
        try run(
            Lab.agentBinary,
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--host-fqdn", host.fqdn,
                "--root", host.root.path, "--no-configure", "--domain-controller", lab.dcIP, "--ou", lab.organizationalUnit,
                "--output", "json",
            ] + extra,
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
    }

    func json(_ result: CommandResult) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            "stdout: \(result.stdout) stderr: \(result.stderr)")
    }

    /// The A records of `name`, as dig reads them from the DC.
    func addresses(_ name: String) throws -> Set<String> {
        let result = try run(URL(fileURLWithPath: "/usr/bin/dig"), ["+short", "+tcp", "@\(lab.dcIP)", name, "A"])
        return Set(result.stdout.split(separator: "\n").map(String.init))
    }

    /// An update as the administrator: a Kerberos login (password on standard input, into a file cache
    /// of the test's own) and nsupdate -g.
    func adminUpdate(_ lines: [String]) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dns-admin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "FILE:" + directory.appendingPathComponent("cc").path]
        let login = try run(
            URL(fileURLWithPath: "/usr/bin/kinit"), ["Administrator@\(lab.realm)"], stdin: URL(fileURLWithPath: lab.adminPasswordFile),
            environment: environment)
        #expect(login.status == 0, "kinit: \(login.stderr)")
        let script = directory.appendingPathComponent("update")
        try (["server \(lab.dcIP)", "zone \(lab.domain)"] + lines + ["send", ""]).joined(separator: "\n").write(
            to: script, atomically: true, encoding: .utf8)
        // nsupdate -g reports "tsig verify failure" against Samba although the update is made (LAB.md): judged by dig.
        _ = try run(URL(fileURLWithPath: "/usr/bin/nsupdate"), ["-g", script.path], environment: environment)
    }

    func cleanUp(_ host: TestHost, names: [String]) {
        try? admin.delete(host.name + "$")
        try? adminUpdate(names.map { "update delete \($0) A" })
    }

    @Test func theRecordFollowsTheAddressAndLeaveRemovesOnlyThisHostsAddress() throws {
        let host = try TestHost(domain: lab.domain)
        let other = "other-" + host.name.lowercased() + "." + lab.domain
        defer { cleanUp(host, names: [host.fqdn, other]) }
        // Addresses of no reverse zone the lab holds (aPTRRecordWhereTheDCHoldsTheReverseZone has PTRs).
        // Another host's record that holds the address this host moves to.
        try adminUpdate(["update add \(other) 600 A 10.68.0.2"])
        #expect(try addresses(other) == ["10.68.0.2"])

        let first = try join(host, ["--dns-address", "10.68.0.1"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try json(first)["dnsRecord"] as? String == "\(host.fqdn) A 10.68.0.1")
        #expect(try addresses(host.fqdn) == ["10.68.0.1"])
        #expect(first.stderr.contains("the server's signed answer checked"), "\(first.stderr)")
        let record = try String(contentsOf: host.root.appendingPathComponent("var/lib/adjoin/joined"), encoding: .utf8)
        #expect(record.contains("dns-name=\(host.fqdn)\n") && record.contains("dns-address=10.68.0.1\n"), "\(record)")

        // A rerun with another address (the keys are kept): the name's records become that address alone.
        let moved = try join(host, ["--dns-address", "10.68.0.2"])
        #expect(moved.status == 0, "\(moved.stderr)")
        #expect(try addresses(host.fqdn) == ["10.68.0.2"])
        #expect(try addresses(other) == ["10.68.0.2"])

        // Another host's address under the same name, added by the administrator: leave keeps it.
        try adminUpdate(["update add \(host.fqdn) 600 A 10.68.0.9"])
        #expect(try addresses(host.fqdn) == ["10.68.0.2", "10.68.0.9"])
        let leave = try run(Lab.agentBinary, ["leave", "--root", host.root.path, "--output", "json"])
        #expect(leave.status == 0, "\(leave.stderr)")
        #expect(try json(leave)["dnsRecord"] as? String == "removed \(host.fqdn) A 10.68.0.2")
        #expect(try addresses(host.fqdn) == ["10.68.0.9"])
        #expect(try addresses(other) == ["10.68.0.2"])
        #expect(try admin.computer(host.name + "$") == nil)
    }

    /// The registration talks to the pinned DC alone: its port 53 over TCP, and nothing else new.
    @Test func theRegistrationTalksOnlyToThePinnedDC() throws {
        let host = try TestHost(domain: lab.domain)
        defer { cleanUp(host, names: [host.fqdn]) }
        let trace = host.root.appendingPathComponent("strace.out")
        let result = try run(
            URL(fileURLWithPath: "/usr/bin/strace"),
            [
                "-f", "-qq", "-e", "trace=socket,connect,sendto,sendmsg", "-o", trace.path, Lab.agentBinary.path,
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--host-fqdn", host.fqdn,
                "--root", host.root.path, "--no-configure", "--ou", lab.organizationalUnit, "--domain-controller", lab.dcIP,
                "--dns-address", "10.66.4.1",
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try addresses(host.fqdn) == ["10.66.4.1"])
        let text = try String(contentsOf: trace, encoding: .utf8)
        let destinations = Set(text.matches(of: /sin_port=htons\((\d+)\), sin_addr=inet_addr\("([\d.]+)"\)/).map { "\($0.2):\($0.1)" })
        #expect(destinations.allSatisfy { $0.hasPrefix(lab.dcIP + ":") }, "destinations: \(destinations)")
        #expect(destinations.contains(lab.dcIP + ":53"), "destinations: \(destinations)")
        // To port 53: one TCP connection (TKEY, update and all) and one UDP socket (the reverse zone's
        // SOA, asked while the update goes on).
        var kinds: [String: String] = [:]
        var to53: [String] = []
        for line in text.split(separator: "\n") {
            if let opened = line.firstMatch(of: /socket\(AF_INET6?, (SOCK_STREAM|SOCK_DGRAM)[^)]*\) = (\d+)/) {
                kinds[String(opened.2)] = String(opened.1)
            } else if let connected = line.firstMatch(of: /connect\((\d+), \{sa_family=AF_INET, sin_port=htons\(53\)/) {
                to53.append(kinds[String(connected.1)] ?? "?")
            }
        }
        #expect(to53.sorted() == ["SOCK_DGRAM", "SOCK_STREAM"], "\(text)")
    }

    /// The names of `address` in its reverse zone, as dig reads them from the DC.
    func pointers(_ address: String) throws -> Set<String> {
        let result = try run(URL(fileURLWithPath: "/usr/bin/dig"), ["+short", "+tcp", "@\(lab.dcIP)", "-x", address])
        return Set(result.stdout.split(separator: "\n").map(String.init))
    }

    /// The reverse zone 10.66.0.0/16, created in the lab as the administrator (samba-tool reads the
    /// password from PASSWD_FILE); a zone already there is fine.
    /// Deletes these names' nodes in `zone` as the administrator, tombstoned or not.
    func removeNodes(_ names: [String], in zone: String) {
        for name in names {
            _ = try? admin.tool("ldapdelete", ["DC=\(name),DC=\(zone),CN=MicrosoftDNS,DC=DomainDnsZones,\(lab.baseDN)"])
        }
    }

    func reverseZone() throws -> String {
        let zone = "66.10.in-addr.arpa"
        _ = try run(
            URL(fileURLWithPath: "/usr/bin/samba-tool"), ["dns", "zonecreate", lab.dcIP, zone],
            environment: ["USER": "Administrator", "PASSWD_FILE": lab.adminPasswordFile])
        return zone
    }

    /// Where the DC holds the address's reverse zone, the PTR record goes with the A record, and leave
    /// removes only that one; another host's PTR in the zone stays. Leave also deletes the names' nodes
    /// it emptied, so that a host joining again under the same name (a new account) registers it.
    @Test func aPTRRecordWhereTheDCHoldsTheReverseZone() throws {
        let zone = try reverseZone()
        let host = try TestHost(domain: lab.domain)
        let other = "other-" + host.name.lowercased() + "." + lab.domain
        // An address of this run's own, so that no node a failed run left behind is in the way.
        let third = Int.random(in: 100...250)
        let address = "10.66.\(third).1"
        let otherPointer = "8.\(third).66.10.in-addr.arpa"
        // A node an earlier run left (its records deleted, the node tombstoned) keeps the security descriptor of the
        // machine that made it, and this run's machine may not write there (SERVFAIL): the run's nodes go first and last.
        let nodes = ["1.\(third)", "2.\(third)", "8.\(third)"]
        removeNodes(nodes, in: zone)
        defer {
            cleanUp(host, names: [host.fqdn])
            try? adminUpdate([
                "zone \(zone)", "update delete \(otherPointer) PTR", "update delete 1.\(third).66.10.in-addr.arpa PTR",
                "update delete 2.\(third).66.10.in-addr.arpa PTR",
            ])
            removeNodes(nodes, in: zone)
        }
        try adminUpdate(["zone \(zone)", "update add \(otherPointer) 600 PTR \(other)"])
        let joined = try join(host, ["--dns-address", address])
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(try pointers(address) == [host.fqdn + "."])
        let record = try String(contentsOf: host.root.appendingPathComponent("var/lib/adjoin/joined"), encoding: .utf8)
        #expect(record.contains("dns-reverse-zone=\(zone)\n"), "\(record)")

        // The host moves (a rerun with another address) and back: the PTR record follows, the old one goes.
        let moved = try join(host, ["--dns-address", "10.66.\(third).2"])
        #expect(moved.status == 0, "\(moved.stderr)")
        #expect(try json(moved)["warnings"] as? [String] == [], "\(moved.stdout) \(moved.stderr)")
        #expect(try pointers("10.66.\(third).2") == [host.fqdn + "."])
        #expect(try pointers(address).isEmpty)
        let back = try join(host, ["--dns-address", address])
        #expect(back.status == 0, "\(back.stderr)")
        #expect(try pointers(address) == [host.fqdn + "."])
        #expect(try pointers("10.66.\(third).2").isEmpty)

        let leave = try run(Lab.agentBinary, ["leave", "--root", host.root.path, "--output", "json"])
        #expect(leave.status == 0, "\(leave.stderr)")
        #expect(try json(leave)["dnsRecord"] as? String == "removed \(host.fqdn) A \(address) and its PTR record in \(zone)")
        #expect(try pointers(address).isEmpty)
        #expect(try pointers("10.66.\(third).8") == [other + "."])

        // The same name again, as a new computer account (another host, or this one after a leave).
        let again = try TestHost(domain: lab.domain)
        let rejoined = try run(
            Lab.agentBinary,
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--host-fqdn", host.fqdn,
                "--root", again.root.path, "--no-configure", "--domain-controller", lab.dcIP, "--ou", lab.organizationalUnit,
                "--dns-address", address, "--output", "json",
            ], stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(rejoined.status == 0, "\(rejoined.stderr)")
        #expect(try json(rejoined)["warnings"] as? [String] == [])
        #expect(try addresses(host.fqdn) == [address])
        #expect(try pointers(address) == [host.fqdn + "."])
        let secondLeave = try run(Lab.agentBinary, ["leave", "--root", again.root.path])
        #expect(secondLeave.status == 0, "\(secondLeave.stderr)")
        #expect(try addresses(host.fqdn).isEmpty)
    }

    /// No reverse zone for the address: the A record alone, nothing recorded for a PTR.
    @Test func noPTRWithoutAReverseZone() throws {
        let host = try TestHost(domain: lab.domain)
        defer { cleanUp(host, names: [host.fqdn]) }
        let joined = try join(host, ["--dns-address", "10.67.6.1"])
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(try addresses(host.fqdn) == ["10.67.6.1"])
        #expect(try pointers("10.67.6.1").isEmpty)
        let record = try String(contentsOf: host.root.appendingPathComponent("var/lib/adjoin/joined"), encoding: .utf8)
        #expect(!record.contains("dns-reverse-zone="))
    }

    @Test func aRefusedUpdateIsAWarningOnAJoinedHost() throws {
        let host = try TestHost(domain: lab.domain)
        defer { cleanUp(host, names: [host.fqdn]) }
        // The name is already the administrator's: the machine may not change it.
        try adminUpdate(["update add \(host.fqdn) 600 A 10.66.1.5"])
        let result = try join(host, ["--dns-address", "10.66.1.1"])
        #expect(result.status == 0, "\(result.stderr)")
        let output = try json(result)
        #expect(output["status"] as? String == "JOINED")
        #expect(output["dnsRecord"] == nil || output["dnsRecord"] is NSNull)
        let warnings = try #require(output["warnings"] as? [String])
        // Samba answers SERVFAIL to an update it does not allow (Windows: REFUSED); the warning names it.
        #expect(warnings.contains { $0.contains("did not register \(host.fqdn)") && $0.contains("it answered SERVFAIL") }, "\(warnings)")
        #expect(try addresses(host.fqdn) == ["10.66.1.5"])
        let record = try String(contentsOf: host.root.appendingPathComponent("var/lib/adjoin/joined"), encoding: .utf8)
        #expect(!record.contains("dns-name="))
    }

    @Test func noRegisterDNSLeavesDNSAlone() throws {
        let host = try TestHost(domain: lab.domain)
        defer { cleanUp(host, names: [host.fqdn]) }
        let result = try join(host, ["--no-register-dns"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try addresses(host.fqdn).isEmpty)
        #expect(!result.stderr.contains("Registering"))
    }

    @Test func aDNSAddressThatIsNoIPIsAUsageError() throws {
        let host = try TestHost(domain: lab.domain)
        let result = try join(host, ["--dns-address", "web1.example.com"])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("is not an IP address"))
    }
}

/// Keeping the record true: status reports a name that no longer resolves to the host, and rotate (the
/// timer) and the boot join (`--unless-joined`) register it again.
@Suite(.needsLab) struct DNSRecordUpkeepIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    let suite: DNSRegistrationIntegrationTests
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
        suite = try DNSRegistrationIntegrationTests()
    }

    /// The address the host reaches the DC from: what a join without --dns-address registers.
    var ownAddress: String { lab.dcIP }

    @Test func statusReportsADriftedRecordAndRotateAndTheBootJoinRegisterItAgain() throws {
        let host = try TestHost(domain: lab.domain)
        defer { suite.cleanUp(host, names: [host.fqdn]) }
        let joined = try suite.join(host, [])
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(try suite.addresses(host.fqdn) == [ownAddress])
        let record = try String(contentsOf: host.root.appendingPathComponent("var/lib/adjoin/joined"), encoding: .utf8)
        #expect(record.contains("dns-address-source=connection\n"), "\(record)")

        let healthy = try run(Lab.agentBinary, ["status", "--root", host.root.path])
        #expect(healthy.status == 0, "\(healthy.stdout)\(healthy.stderr)")
        #expect(healthy.stdout.contains("ok     dns: \(host.fqdn) resolves to \(ownAddress)"), "\(healthy.stdout)")

        // Someone points the name elsewhere: status says so, rotate puts it back.
        try suite.adminUpdate(["update delete \(host.fqdn) A", "update add \(host.fqdn) 600 A 10.66.3.3"])
        let drifted = try run(Lab.agentBinary, ["status", "--root", host.root.path])
        #expect(drifted.status == 23, "\(drifted.stdout)")
        #expect(drifted.stdout.contains("FAILED dns: \(host.fqdn) resolves to 10.66.3.3"), "\(drifted.stdout)")
        let rotated = try run(Lab.agentBinary, ["rotate", "--root", host.root.path, "--output", "json"])
        #expect(rotated.status == 0, "\(rotated.stdout)\(rotated.stderr)")
        #expect(rotated.stdout.contains("registered \(host.fqdn) A \(ownAddress) in DNS"), "\(rotated.stdout)")
        #expect(try suite.addresses(host.fqdn) == [ownAddress])

        // The record gone: the boot join (healthy otherwise) registers it again without a new password.
        try suite.adminUpdate(["update delete \(host.fqdn) A"])
        #expect(try suite.addresses(host.fqdn).isEmpty)
        let boot = try suite.join(host, ["--unless-joined"])
        #expect(boot.status == 0, "\(boot.stderr)")
        #expect(boot.stderr.contains("Not joined and healthy"), "\(boot.stderr)")
        #expect(try suite.addresses(host.fqdn) == [ownAddress])
        let again = try run(Lab.agentBinary, ["status", "--root", host.root.path])
        #expect(again.status == 0, "\(again.stdout)")
    }
}
