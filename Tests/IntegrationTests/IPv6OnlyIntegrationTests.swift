import AdjoinCore
import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import Testing
import TestSupport
@testable import Discovery
@testable import HostConfig

/// An IPv6-only instance: the agent runs in a network namespace with no IPv4 address at all (not even
/// 127.0.0.1), whose one way out is a veth pair routed to the lab's IPv6 address, where the real Samba DC
/// (with its AAAA record), the metadata emulator and the signature-checking proxy listen. strace records
/// every socket address the agent connects or sends to; `dig AAAA` (BIND's) reads the DC's DNS.
@Suite(
    .serialized, .needsLab,
    .enabled(
        if: LabPresence.required || ProcessInfo.processInfo.environment["ADJOIN_LAB_DC_IP6"] != nil,
        "the lab has no IPv6 address: start it with ADJOIN_LAB_DC_IP6 set (scripts/test does)"))
struct IPv6OnlyIntegrationTests {
    let lab: Lab
    let labIPv6: String
    init() throws {
        lab = try Lab.current()
        labIPv6 = try #require(lab.dcIPv6, "ADJOIN_LAB_DC_IP6 is not set: start the lab with it (scripts/test does)")
    }

    /// Two addresses of the lab's /64 for one namespace's veth pair: the instance's and the root end's.
    func pairAddresses() throws -> (inside: String, outside: String) {
        let base = try #require(SocketAddress(numericHost: labIPv6, port: 0)).addressBytes
        let tag = [UInt8.random(in: 1...255), UInt8.random(in: 0...255)]
        func address(_ marker: UInt8) -> String {
            IPAddress.text(ipv6: Array(base.prefix(8)) + [0, 0, 0, marker, 0, 0] + tag)
        }
        return (address(0xc), address(0xd))
    }

    /// The AAAA records of `name` in the DC's DNS, asked over IPv6.
    func aaaa(_ name: String) throws -> Set<String> {
        let result = try run(URL(fileURLWithPath: "/usr/bin/dig"), ["+short", "+tcp", "@\(labIPv6)", name, "AAAA"])
        return Set(result.stdout.split(separator: "\n").map(String.init))
    }

    /// The names `address` points back to in its ip6.arpa zone, as dig reads them from the DC over IPv6.
    func pointers(_ address: String) throws -> Set<String> {
        let result = try run(URL(fileURLWithPath: "/usr/bin/dig"), ["+short", "+tcp", "@\(labIPv6)", "-x", address])
        return Set(result.stdout.split(separator: "\n").map(String.init))
    }

    /// The reverse zone of the lab's /64 (nibbles of its first 8 bytes), created as the administrator (samba-tool
    /// reads the password from PASSWD_FILE); a zone already there is fine.
    func reverseZone() throws -> String {
        let prefix = try #require(SocketAddress(numericHost: labIPv6, port: 0)).addressBytes.prefix(8)
        let zone = prefix.flatMap { [$0 >> 4, $0 & 0xF] }.reversed().map { String($0, radix: 16) }.joined(separator: ".") + ".ip6.arpa"
        _ = try run(
            URL(fileURLWithPath: "/usr/bin/samba-tool"), ["dns", "zonecreate", lab.dcIP, zone],
            environment: ["USER": "Administrator", "PASSWD_FILE": lab.adminPasswordFile])
        return zone
    }

    /// Every socket address in the trace that a connect, sendto or sendmsg named, by family.
    func destinations(_ trace: String) -> (ipv4: [String], ipv6: Set<String>) {
        var ipv4: [String] = []
        var ipv6: Set<String> = []
        for line in trace.split(separator: "\n") where line.contains("connect(") || line.contains("sendto(") || line.contains("sendmsg(") {
            if line.contains("sa_family=AF_INET,") { ipv4.append(String(line)) }
            if let match = line.firstMatch(of: /sin6_port=htons\((\d+)\).*inet_pton\(AF_INET6, "([0-9a-f:]+)"/) {
                ipv6.insert("[\(match.2)]:\(match.1)")
            }
        }
        return (ipv4, ipv6)
    }

    /// `adjoin join` on an IPv6-only EC2 instance: metadata at an IPv6 address (no local-ipv4, its address
    /// under ipv6), settings from SSM and status to DynamoDB through the proxy's IPv6 address, the DC found
    /// through its SRV and AAAA records at `--dns-server [v6]` and pinged over UDP6, the join over Kerberos
    /// and LDAP to its IPv6 address, and the instance's AAAA record registered with its PTR record in the
    /// lab's ip6.arpa zone; leave, likewise over IPv6 alone, removes both. Not one IPv4 socket address is used.
    @Test func anIPv6OnlyInstanceJoinsAndLeavesOverIPv6Alone() throws {
        let aws = try AWSFixture.current()
        let zone = try reverseZone()
        let table = "adjoin-status-" + UUID().uuidString.prefix(8).lowercased()
        try aws.createStatusTable(table)
        let (inside, outside) = try pairAddresses()
        let hostname = "ip6-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let instance = try EC2Instance(
            hostname: hostname, tags: [:], tagsExposed: true, metadataHost: labIPv6,
            extraState: ["localIpv4": NSNull(), "ipv6": inside])
        let name = hostname.uppercased()
        let fqdn = hostname + "." + lab.domain
        let admin = AdminDirectory(lab: lab)
        let scratch = ScratchRoot("adjoin-root")
        let root = scratch.url
        defer {
            try? admin.delete(name + "$")
            scratch.remove()
        }
        // No domainControllers: the DC is found in DNS, through the --dns-server given.
        let settings: [String: Any] = [
            "domain": lab.domain, "joinUser": lab.joinUser, "organizationalUnit": lab.organizationalUnit,
            "statusTable": table, "joinPassword": String(decoding: try lab.joinPassword(), as: UTF8.self),
        ]
        let parameter = "/adjoin-test/" + UUID().uuidString
        try aws.putSecureString(parameter, value: String(decoding: try JSONSerialization.data(withJSONObject: settings), as: UTF8.self))
        let proxyPort = try #require(URL(string: aws.proxyEndpoint)?.port)

        func agent(_ arguments: [String]) throws -> (CommandResult, String) {
            let trace = root.appendingPathComponent("strace-\(arguments[0]).out")
            let result = try run(
                LabEnvironment.support("ipv6-only"),
                [
                    inside, outside, labIPv6, "--", "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                    "AWS_EC2_METADATA_SERVICE_ENDPOINT=\(instance.metadataEndpoint)",
                    "AWS_ENDPOINT_URL=http://[\(labIPv6)]:\(proxyPort)",
                    "/usr/bin/strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", trace.path,
                    Lab.agentBinary.path,
                ] + arguments,
                environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": instance.metadataEndpoint])
            return (result, try String(contentsOf: trace, encoding: .utf8))
        }

        let (joined, joinTrace) = try agent([
            "join", "--parameter", parameter, "--dns-server", "[\(labIPv6)]", "--no-configure",
            "--root", root.path, "--output", "json",
        ])
        #expect(joined.status == 0, "\(joined.stdout)\(joined.stderr)")
        let output = try JSONSerialization.jsonObject(with: Data(joined.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(output["status"] as? String == "JOINED", "\(joined.stdout)\(joined.stderr)")
        #expect(output["statusTable"] as? String == "written")
        #expect(output["dnsRecord"] as? String == "\(fqdn) AAAA \(inside)")
        // The address is metadata's ipv6 (the instance has no local-ipv4), not merely the one toward the DC.
        let record = try String(contentsOf: root.appendingPathComponent("var/lib/adjoin/joined"), encoding: .utf8)
        #expect(record.contains("dns-address-source=instance\n"), "\(record)")
        #expect(record.contains("dns-reverse-zone=\(zone)\n"), "\(record)")
        // Found through DNS (SRV, then the DC's AAAA record) and pinged at its IPv6 address.
        #expect(joined.stderr.contains("SRV (asking \(labIPv6))"), "\(joined.stderr)")
        #expect(joined.stderr.contains("over CLDAP: [\(labIPv6)]:389\n"), "\(joined.stderr)")
        let used = destinations(joinTrace)
        #expect(used.ipv4.isEmpty, "IPv4 socket addresses used: \(used.ipv4)")
        let metadataPort = try #require(URL(string: instance.metadataEndpoint)?.port)
        for port in [53, 88, 389, metadataPort, proxyPort] {
            #expect(used.ipv6.contains("[\(labIPv6)]:\(port)"), "no connection to port \(port): \(used.ipv6)")
        }
        #expect(used.ipv6.allSatisfy { $0.hasPrefix("[\(labIPv6)]:") }, "\(used.ipv6)")

        // The keytab proves itself to the real KDC (MIT kinit), and the DC's DNS has the instance's AAAA record.
        let proof = try run(
            URL(fileURLWithPath: "/usr/bin/kinit"),
            ["-k", "-t", root.appendingPathComponent("etc/krb5.keytab").path, "\(name)$@\(lab.realm)"],
            environment: ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "MEMORY:ipv6"])
        #expect(proof.status == 0, "\(proof.stderr)")
        #expect(try aaaa(fqdn) == [inside])
        #expect(try pointers(inside) == [fqdn + "."])
        let item = try #require(try aws.statusItem(table: table, instanceId: instance.instanceId))
        #expect(item["status"] == "JOINED")

        // The krb5.conf a join writes where its KDC is an IPv6 address ("kdc = [fd00:...]"), as MIT's own kinit
        // reads it: the keytab's login goes to that address.
        let krb5 = root.appendingPathComponent("krb5-ipv6.conf")
        try KerberosConfiguration.render(
            HostSettings(domain: lab.domain, realm: lab.realm, hostFQDN: fqdn, computerName: name, kdcs: [labIPv6]),
            over: nil
        ).write(to: krb5, atomically: true, encoding: .utf8)
        let pinned = try run(
            LabEnvironment.support("ipv6-only"),
            [
                inside, outside, labIPv6, "--", "/usr/bin/env", "-i", "KRB5_CONFIG=\(krb5.path)", "KRB5CCNAME=MEMORY:ipv6",
                "/usr/bin/kinit", "-k", "-t", root.appendingPathComponent("etc/krb5.keytab").path, "\(name)$@\(lab.realm)",
            ])
        #expect(pinned.status == 0, "\(pinned.stderr)")

        // status, in the namespace too: the record still names the address metadata gives (no drift).
        let (status, _) = try agent(["status", "--root", root.path])
        #expect(status.status == 0, "\(status.stdout)\(status.stderr)")

        // rotate: a new machine password through kpasswd over IPv6 (its KRB-PRIV names this end's IPv6 address);
        // the keytab's new keys prove themselves.
        let (rotated, rotateTrace) = try agent(["rotate", "--max-age", "0", "--root", root.path, "--output", "json"])
        #expect(rotated.status == 0, "\(rotated.stdout)\(rotated.stderr)")
        #expect(destinations(rotateTrace).ipv4.isEmpty, "IPv4 socket addresses used: \(destinations(rotateTrace).ipv4)")
        #expect(destinations(rotateTrace).ipv6.contains("[\(labIPv6)]:464"), "\(destinations(rotateTrace).ipv6)")
        let listing = try run(URL(fileURLWithPath: "/usr/bin/klist"), ["-k", root.appendingPathComponent("etc/krb5.keytab").path])
        #expect(listing.stdout.contains("   2 \(name)$@\(lab.realm)"), "\(listing.stdout)")
        let reproof = try run(
            URL(fileURLWithPath: "/usr/bin/kinit"),
            ["-k", "-t", root.appendingPathComponent("etc/krb5.keytab").path, "\(name)$@\(lab.realm)"],
            environment: ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "MEMORY:ipv6"])
        #expect(reproof.status == 0, "\(reproof.stderr)")

        // Leave finds the DC again through the DNS server the join recorded ("fd00:...", bare).
        let (left, leaveTrace) = try agent(["leave", "--root", root.path])
        #expect(left.status == 0, "\(left.stdout)\(left.stderr)")
        #expect(destinations(leaveTrace).ipv4.isEmpty, "IPv4 socket addresses used: \(destinations(leaveTrace).ipv4)")
        #expect(try aaaa(fqdn).isEmpty)
        #expect(try pointers(inside).isEmpty)
        #expect(try admin.computer(name + "$") == nil)
    }

    /// Discovery on a host that has only IPv6: the SRV record's target resolved by its AAAA record at a DNS
    /// server given by its IPv6 address, and the DC pinged over UDP6 (in this process, no namespace needed).
    @Test func discoveryOnAnIPv6OnlyHostFindsTheDCByItsAAAARecord() throws {
        let server = try #require(SocketAddress(numericHost: labIPv6, port: 53))
        let locator = DomainControllerLocator(
            domain: try DomainName(lab.domain), dnsServers: [server],
            families: AddressFamilies(ipv4: false, ipv6: true))
        let result = try locator.locate(deadline: Deadline(seconds: 10))
        #expect(result.source == .dns)
        #expect(result.controller.hostName == lab.dcHost)
        #expect(result.controller.address.host == labIPv6)
        #expect(result.candidates.allSatisfy { $0.address.family == .ipv6 }, "\(result.candidates)")
    }

    /// A host configured by a join made over IPv6 alone (its resolver names only the DC's IPv6 address): real sssd,
    /// itself in a namespace without IPv4, finds the DC by its SRV and AAAA records (sssd.conf's
    /// lookup_family_order = ipv6_first: the DC's A record, which sssd would take first, is unreachable there),
    /// resolves a domain user and lets a member of the allowed group log in through PAM.
    @Test func sssdOnAnIPv6OnlyHostLogsAUserIn() throws {
        let scratch = ScratchRoot("adjoin-ipv6-resolver")
        defer { scratch.remove() }
        let files = scratch.url
        let resolv = files.appendingPathComponent("resolv.conf")
        let hosts = files.appendingPathComponent("hosts")
        try "nameserver \(labIPv6)\nsearch \(lab.domain)\noptions timeout:2 attempts:1\n".write(
            to: resolv, atomically: true, encoding: .utf8)
        try "::1 localhost\n".write(to: hosts, atomically: true, encoding: .utf8)
        let sandbox = try EtcSandbox(lab: lab, resolvConf: resolv.path, hostsFile: hosts.path)
        defer { sandbox.remove() }
        let host = try TestHost(domain: lab.domain)
        let admin = AdminDirectory(lab: lab)
        defer { try? admin.delete(host.name + "$") }
        let (inside, outside) = try pairAddresses()
        let joined = try run(
            LabEnvironment.support("ipv6-only"),
            [
                inside, outside, labIPv6, "--", EtcSandbox.script.path, "run", sandbox.directory.path, Lab.agentBinary.path,
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou", lab.organizationalUnit,
                "--host-fqdn", host.fqdn, "--allow-group", lab.loginGroup, "--no-register-dns",
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(joined.status == 0, "\(joined.stdout)\(joined.stderr)")
        #expect(joined.stderr.contains("over CLDAP: [\(labIPv6)]:389\n"), "\(joined.stderr)")
        #expect(try sandbox.text("/etc/sssd/sssd.conf").contains("\nlookup_family_order = ipv6_first\n"))

        _ = try SSSDTestTimeouts(in: sandbox.file("/etc/sssd/conf.d"), domain: lab.domain)
        let (sssdInside, sssdOutside) = try pairAddresses()
        let sssd = try SandboxedSSSD(sandbox, prefix: [LabEnvironment.support("ipv6-only").path, sssdInside, sssdOutside, labIPv6, "--"])
        defer { sssd.stop() }
        // NSS and PAM reach sssd through its sockets in the sandbox; sssd reaches the DC from its namespace.
        let passwd = try resolveUser(lab.memberUser, in: sandbox)
        #expect(passwd.hasPrefix("\(lab.memberUser):*:"), "\(passwd)\nsssd said: \(sssd.output.suffix(3000))")
        try expectOnlyTheMemberLogsIn(lab, in: sandbox, sssd: sssd.output)
    }
}
