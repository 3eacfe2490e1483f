import Foundation
import Testing

/// `--service-name` against the lab DC, with real peers: the directory read as its administrator,
/// MIT `kvno` asking the KDC for a service ticket as a domain user (alice) and decrypting it with the
/// host's keytab (`kvno -k`), and MIT's sample GSSAPI acceptor (`gss-server`, krb5-gss-samples) taking
/// an NFS-style `nfs@host` context from alice with nothing but that keytab.
@Suite(.needsLab, .serialized) struct ServicePrincipalIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    /// A join as the least-privileged user (Microsoft's minimal join rights, SPN by validated write only).
    func join(_ host: TestHost, services: [String], extra: [String] = []) throws -> CommandResult {
        try run(
            Lab.agentBinary,
            [
                "join", "--domain", lab.domain, "--user", lab.minimalUser, "--password-stdin", "--host-fqdn", host.fqdn,
                "--ou", lab.minimalOrganizationalUnit, "--root", host.root.path, "--no-configure", "--no-register-dns",
                "--dns-server", lab.dcIP, "--output", "json",
            ] + services.flatMap { ["--service-name", $0] } + extra,
            stdin: URL(fileURLWithPath: lab.minimalPasswordFile))
    }

    func agent(_ arguments: [String], _ host: TestHost) throws -> CommandResult {
        try run(Lab.agentBinary, arguments + ["--root", host.root.path, "--dns-server", lab.dcIP, "--output", "json"])
    }

    func json(_ result: CommandResult) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            "stdout: \(result.stdout) stderr: \(result.stderr)")
    }

    /// The account's SPNs as the administrator reads them, lowercased.
    func registered(_ host: TestHost) throws -> Set<String> {
        Set(try admin.computer(host.name + "$")?["serviceprincipalname"]?.map { $0.lowercased() } ?? [])
    }

    /// The principals the keytab holds, as MIT's klist lists them (nil: no keytab file).
    func keytabPrincipals(_ host: TestHost) throws -> Set<String>? {
        guard FileManager.default.fileExists(atPath: host.keytab.path) else { return nil }
        let listing = try run(URL(fileURLWithPath: "/usr/bin/klist"), ["-k", host.keytab.path]).stdout
        return Set(
            listing.split(separator: "\n").compactMap { line in
                line.split(separator: " ").last.flatMap { $0.contains("@") ? String($0).lowercased() : nil }
            })
    }

    /// Alice's environment: her own fresh credential cache (no ticket cached from an earlier kvno) and the lab's krb5.conf.
    func aliceLogin() throws -> [String: String] {
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("adjoin-spn-alice-\(UUID().uuidString).cc").path
        let environment = ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "FILE:" + cache]
        let kinit = try run(
            URL(fileURLWithPath: "/usr/bin/kinit"), ["\(lab.memberUser)@\(lab.realm)"],
            stdin: URL(fileURLWithPath: lab.memberPasswordFile), environment: environment)
        try #require(kinit.status == 0, "kinit alice: \(kinit.stderr)")
        return environment
    }

    /// MIT kvno as alice: a service ticket for `spn` from the KDC, and with `keytab`, decrypted with it.
    func kvno(_ spn: String, keytab: URL? = nil, as alice: [String: String]) throws -> CommandResult {
        try run(
            URL(fileURLWithPath: "/usr/bin/kvno"), (keytab.map { ["-k", $0.path] } ?? []) + ["\(spn)@\(lab.realm)"], environment: alice)
    }

    /// An NFS-style acceptor: MIT's gss-server accepts one `service@host` context with the host's keytab,
    /// and gss-client as alice sends it a message. Returns whether the server accepted alice and got it.
    func acceptorTakes(_ service: String, _ host: TestHost, as alice: [String: String]) throws -> (accepted: Bool, detail: String) {
        let log = host.root.appendingPathComponent("gss-server-\(service).log")
        try Data().write(to: log)
        let port = try freePort()
        let server = Process()
        // Unbuffered, so that its log is whole when it is stopped; not -once: the readiness probe is a connection too.
        server.executableURL = URL(fileURLWithPath: "/usr/bin/stdbuf")
        server.arguments = [
            "-o0", "-e0", "/usr/bin/gss-server", "-port", String(port), "-keytab", host.keytab.path, "\(service)@\(host.fqdn)",
        ]
        server.environment = ["KRB5_CONFIG": lab.krb5Config, "PATH": "/usr/bin:/bin"]
        let handle = try FileHandle(forWritingTo: log)
        server.standardOutput = handle
        server.standardError = handle
        try server.run()
        // SIGKILL: the test runner's threads block SIGTERM, and a child started from one inherits that mask.
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) }; server.waitUntilExit() }
        guard (try? waitForListener(port)) != nil else {
            return (false, "gss-server did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }
        let client = try run(
            URL(fileURLWithPath: "/usr/bin/gss-client"),
            ["-port", String(port), "127.0.0.1", "\(service)@\(host.fqdn)", "adjoin-spn-check"], environment: alice)
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        let served = try String(contentsOf: log, encoding: .utf8)
        let accepted =
            client.status == 0 && served.contains("Accepted connection: \"\(lab.memberUser)@\(lab.realm)\"")
            && served.contains("Received message: \"adjoin-spn-check\"")
        return (accepted, "client: \(client.stdout) \(client.stderr); server: \(served.suffix(400))")
    }

    @Test func serviceKeysServeKerberosClientsThroughRotationRejoinAndLeave() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let short = host.name.lowercased()

        // The join, as the least-privileged user.
        let joined = try join(host, services: ["HTTP", "nfs"])
        #expect(joined.status == 0, "\(joined.stderr)")
        let report = try json(joined)
        #expect(report["status"] as? String == "JOINED")
        #expect(
            Set((report["servicePrincipals"] as? [String]) ?? []) == [
                "HTTP/\(host.name)", "HTTP/\(host.fqdn)", "nfs/\(host.name)", "nfs/\(host.fqdn)",
            ])
        let spns = try registered(host)
        for spn in ["http/\(short)", "http/\(host.fqdn)", "nfs/\(short)", "nfs/\(host.fqdn)", "host/\(host.fqdn)"] {
            #expect(spns.contains(spn), "\(spn) missing from \(spns)")
        }

        // Alice gets tickets for both services, and the host's keytab decrypts them (MIT kvno's keytab check).
        var alice = try aliceLogin()
        for spn in ["HTTP/\(host.fqdn)", "nfs/\(host.fqdn)", "nfs/\(host.name)"] {
            let checked = try kvno(spn, keytab: host.keytab, as: alice)
            #expect(
                checked.status == 0 && checked.stdout.contains("kvno = 1, keytab entry valid"),
                "\(spn): \(checked.stdout) \(checked.stderr)")
        }
        // MIT kvno -k (1.20) accepts a ticket that any key of the keytab decrypts, and every principal of the
        // account shares its keys: the entries themselves are checked by name, and by acceptors that look
        // their own principal up in the keytab (gss-server: "not found in keytab" when it is missing).
        let principals = try #require(try keytabPrincipals(host))
        for spn in ["http/\(short)", "http/\(host.fqdn)", "nfs/\(short)", "nfs/\(host.fqdn)"] {
            #expect(principals.contains("\(spn)@\(lab.realm.lowercased())"), "\(spn) not in the keytab: \(principals)")
        }
        for service in ["nfs", "HTTP"] {
            let accepted = try acceptorTakes(service, host, as: alice)
            #expect(accepted.accepted, "\(service): \(accepted.detail)")
        }

        // status checks each SPN against the directory and the keytab.
        let healthy = try agent(["status"], host)
        let checks = (try json(healthy)["checks"] as? [[String: Any]]) ?? []
        let serviceCheck = checks.first { $0["name"] as? String == "service-principals" }
        #expect(healthy.status == 0 && serviceCheck?["passed"] as? Bool == true, "\(healthy.stdout)")

        // rotate: every service entry follows to the new kvno, and alice's fresh tickets still decrypt.
        let rotated = try agent(["rotate", "--max-age", "0"], host)
        let rotation = try json(rotated)
        #expect(rotated.status == 0 && rotation["status"] as? String == "ROTATED", "\(rotated.stdout) \(rotated.stderr)")
        alice = try aliceLogin()
        for spn in ["HTTP/\(host.fqdn)", "nfs/\(host.fqdn)"] {
            let checked = try kvno(spn, keytab: host.keytab, as: alice)
            #expect(
                checked.status == 0 && checked.stdout.contains("kvno = 2, keytab entry valid"),
                "\(spn) after rotate: \(checked.stdout) \(checked.stderr)")
        }
        #expect(try acceptorTakes("nfs", host, as: alice).accepted)
        #expect(try acceptorTakes("HTTP", host, as: alice).accepted)

        // An administrator's own SPN on the account; then a join without nfs removes adjoin's nfs/ only.
        let byHand = "nfs/\(short)-alias.\(lab.domain)"
        let added = try addSPN(byHand, to: host)
        try #require(added.status == 0, "ldapmodify: \(added.stderr)")
        let withoutNFS = try join(host, services: ["HTTP"])
        #expect(withoutNFS.status == 0, "\(withoutNFS.stderr)")
        #expect(
            Set((try json(withoutNFS)["removedServicePrincipals"] as? [String]) ?? []) == ["nfs/\(host.name)", "nfs/\(host.fqdn)"],
            "\(withoutNFS.stdout)")
        let after = try registered(host)
        #expect(!after.contains("nfs/\(host.fqdn)") && !after.contains("nfs/\(short)"), "\(after)")
        #expect(after.contains(byHand) && after.contains("http/\(host.fqdn)"), "\(after)")
        let rejoined = try #require(try keytabPrincipals(host))
        #expect(!rejoined.contains { $0.hasPrefix("nfs/") }, "\(rejoined)")
        #expect(rejoined.contains("http/\(host.fqdn)@\(lab.realm.lowercased())"), "\(rejoined)")
        alice = try aliceLogin()
        let gone = try kvno("nfs/\(host.fqdn)", keytab: host.keytab, as: alice)
        #expect(gone.status != 0, "nfs/ still served: \(gone.stdout)")
        #expect(try kvno("HTTP/\(host.fqdn)", keytab: host.keytab, as: alice).status == 0)

        // Drift: an SPN removed in the directory is named by status.
        let removed = try deleteSPN("HTTP/\(host.fqdn)", from: host)
        try #require(removed.status == 0, "ldapmodify: \(removed.stderr)")
        let drifted = try agent(["status"], host)
        #expect(drifted.status == 23, "\(drifted.stdout)")
        #expect((try json(drifted)["message"] as? String)?.contains("HTTP/\(host.fqdn)") == true, "\(drifted.stdout)")
        // A join again puts it back (it is adjoin's), as the status message says.
        #expect(try join(host, services: ["HTTP"]).status == 0)
        #expect(try registered(host).contains("http/\(host.fqdn)"))

        // Leave keeping the account: adjoin's SPNs go from it, the administrator's stays, the keytab holds none.
        let left = try agent(["leave", "--keep-account"], host)
        #expect(left.status == 0, "\(left.stdout) \(left.stderr)")
        let kept = try registered(host)
        #expect(!kept.contains("http/\(host.fqdn)") && !kept.contains("http/\(short)"), "\(kept)")
        #expect(kept.contains(byHand) && kept.contains("host/\(host.fqdn)"), "\(kept)")
        #expect(!(try keytabPrincipals(host) ?? []).contains { $0.hasPrefix("http/") || $0.hasPrefix("nfs/") })
    }

    /// The boot join (`--unless-joined`) changes nothing on a healthy host with the same services, and joins
    /// again when its flags name others.
    @Test func theBootJoinNoticesANewServiceList() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        #expect(try join(host, services: ["HTTP"]).status == 0)
        let same = try join(host, services: ["http"], extra: ["--unless-joined"])
        let sameMessage = try json(same)["message"] as? String ?? ""
        #expect(same.status == 0 && sameMessage.contains("already joined and healthy"), "\(same.stdout)")
        let more = try join(host, services: ["HTTP", "nfs"], extra: ["--unless-joined"])
        #expect(more.status == 0, "\(more.stderr)")
        #expect(more.stderr.contains("the service names are now HTTP, nfs, not HTTP"), "\(more.stderr)")
        #expect(try registered(host).contains("nfs/\(host.fqdn)"))
    }

    /// A leave that deletes the account takes every service key off the host.
    @Test func leaveRemovesTheServiceKeys() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let joined = try join(host, services: ["HTTP", "cifs"])
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(try keytabPrincipals(host)?.contains("cifs/\(host.fqdn)@\(lab.realm.lowercased())") == true)
        let left = try agent(["leave"], host)
        #expect(left.status == 0, "\(left.stdout) \(left.stderr)")
        #expect(try admin.computer(host.name + "$") == nil)
        #expect(!(try keytabPrincipals(host) ?? []).contains { $0.hasPrefix("http/") || $0.hasPrefix("cifs/") })
    }

    /// Bad names are refused before anything is changed: no account, no keytab, no join record.
    @Test(arguments: ["", "HTTP/web1", "my service", "nfś", "host", "HOST", "RestrictedKrbHost", "a@b"])
    func badNamesChangeNothing(_ name: String) throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let result = try join(host, services: ["HTTP", name])
        #expect(result.status == 15, "\(result.stdout) \(result.stderr)")
        #expect(try json(result)["status"] as? String == "INVALID_INPUT")
        #expect(try admin.computer(host.name + "$") == nil)
        #expect(!FileManager.default.fileExists(atPath: host.keytab.path))
        #expect(!FileManager.default.fileExists(atPath: host.root.appendingPathComponent("var/lib/adjoin/joined").path))
    }

    /// An SPN another account holds (AD and Samba refuse duplicates, Samba with a bare constraint violation):
    /// refused before anything changes, naming the account that holds it.
    @Test func anSPNAnotherAccountHoldsIsRefusedWithNothingChanged() throws {
        let holder = try TestHost(domain: lab.domain)
        defer { try? admin.delete(holder.name + "$") }
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        #expect(try join(holder, services: []).status == 0)
        let added = try addSPN("HTTP/\(host.fqdn)", to: holder)
        try #require(added.status == 0, "ldapmodify: \(added.stderr)")
        let result = try join(host, services: ["nfs", "HTTP"])
        #expect(result.status == 16, "\(result.stdout) \(result.stderr)")
        let message = try json(result)["message"] as? String ?? ""
        #expect(message.contains("HTTP/\(host.fqdn)") && message.contains("CN=\(holder.name),"), "\(message)")
        #expect(try admin.computer(host.name + "$") == nil)
        #expect(!FileManager.default.fileExists(atPath: host.keytab.path))
    }

    func addSPN(_ spn: String, to host: TestHost) throws -> CommandResult {
        try modifySPN("add", spn, host)
    }

    func deleteSPN(_ spn: String, from host: TestHost) throws -> CommandResult {
        try modifySPN("delete", spn, host)
    }

    private func modifySPN(_ operation: String, _ spn: String, _ host: TestHost) throws -> CommandResult {
        let dn = try #require(try admin.computer(host.name + "$")?["dn"]?.first)
        let file = host.root.appendingPathComponent("spn-\(operation).ldif")
        try "dn: \(dn)\nchangetype: modify\n\(operation): servicePrincipalName\nservicePrincipalName: \(spn)\n".write(
            to: file, atomically: true, encoding: .utf8)
        return try admin.tool("ldapmodify", ["-f", file.path])
    }
}

/// A loopback TCP port nobody listens on now (the kernel's pick, released for gss-server to take).
private func freePort() throws -> UInt16 {
    let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(probe) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, length) == 0 && getsockname(probe, $0, &length) == 0 }
    }
    guard bound else { throw AdminError(message: "no free loopback port") }
    return UInt16(bigEndian: address.sin_port)
}

/// Until `port` takes connections (gss-server listens after reading its keytab); a readiness wait, not an assertion.
private func waitForListener(_ port: UInt16) throws {
    for _ in 0..<200 {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        close(probe)
        if connected { return }
        usleep(25_000)
    }
    throw AdminError(message: "gss-server did not listen on 127.0.0.1:\(port)")
}
