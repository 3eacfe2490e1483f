import AdjoinCore
import Foundation
import Kerberos
import Testing

/// `adjoin join` against the lab DC as the least-privileged join user, checked from the outside.
@Suite(.needsLab) struct JoinIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    func join(
        _ host: TestHost, ou: String?, extra: [String] = [], password: URL? = nil, environment: [String: String] = [:]
    ) throws -> CommandResult {
        var arguments =
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin",
                "--host-fqdn", host.fqdn, "--root", host.root.path, "--no-configure",
                "--dns-server", lab.dcIP, "--output", "json",
            ] + extra
        if let ou { arguments += ["--ou", ou] }
        return try run(Lab.agentBinary, arguments, stdin: password ?? URL(fileURLWithPath: lab.joinPasswordFile), environment: environment)
    }

    func json(_ result: CommandResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "stdout: \(result.stdout)")
    }

    /// A join traced by strace (`trace` is strace's -e filter); returns the result and the trace text.
    func tracedJoin(_ host: TestHost, trace: String, dc: [String]) throws -> (CommandResult, String) {
        let file = host.root.appendingPathComponent("strace.out")
        let result = try run(
            URL(fileURLWithPath: "/usr/bin/strace"),
            [
                "-f", "-qq", "-e", trace, "-o", file.path, Lab.agentBinary.path,
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--host-fqdn", host.fqdn,
                "--root", host.root.path, "--no-configure", "--ou", lab.organizationalUnit,
            ] + dc,
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        return (result, try String(contentsOf: file, encoding: .utf8))
    }

    func kinitWithKeytab(_ host: TestHost) throws -> CommandResult {
        try run(
            URL(fileURLWithPath: "/usr/bin/kinit"), ["-k", "-t", host.keytab.path, "\(host.name)$@\(lab.realm)"],
            environment: ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "MEMORY:test"])
    }

    /// The kvnos of the keytab's entries for the lab's realm, as MIT's klist reads them.
    func keytabVersions(_ host: TestHost) throws -> Set<String> {
        let listing = try run(URL(fileURLWithPath: "/usr/bin/klist"), ["-k", host.keytab.path]).stdout
        return Set(
            listing.split(separator: "\n").filter { $0.contains("@\(lab.realm)") }.compactMap {
                $0.split(separator: " ").first.map(String.init)
            })
    }

    @Test func leastPrivilegedUserJoinsIntoItsOU() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let result = try join(host, ou: lab.organizationalUnit)
        #expect(result.status == 0, "\(result.stderr)")
        let output = try json(result)
        #expect(output["status"] as? String == "JOINED")
        #expect(output["computerName"] as? String == host.name)
        #expect(output["computerDN"] as? String == "CN=\(host.name),\(lab.organizationalUnit)")
        #expect(output["domainController"] as? String == lab.dcHost)
        #expect(output["kvno"] as? Int == 1)

        let object = try #require(try admin.computer(host.name + "$"))
        #expect(object["dn"] == ["CN=\(host.name),\(lab.organizationalUnit)"])
        #expect(object["objectclass"]?.contains("computer") == true)
        #expect(object["useraccountcontrol"] == ["4096"])
        #expect(object["dnshostname"] == [host.fqdn])
        #expect(
            Set(object["serviceprincipalname"] ?? []) == [
                "host/\(host.name)", "host/\(host.fqdn)", "RestrictedKrbHost/\(host.name)", "RestrictedKrbHost/\(host.fqdn)",
            ])
        #expect(object["operatingsystem"]?.first?.isEmpty == false)
        #expect(object["operatingsystemversion"]?.first?.isEmpty == false)
        #expect(object["msds-supportedencryptiontypes"] == ["24"])
        #expect(object["info"]?.first?.hasPrefix("adjoin-owner: machine:") == true)

        // The keytab: 0600, AES256 and AES128 for all five principals, and MIT's kinit accepts it.
        let attributes = try FileManager.default.attributesOfItem(atPath: host.keytab.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let listing = try run(URL(fileURLWithPath: "/usr/bin/klist"), ["-k", "-e", host.keytab.path])
        for principal in [
            "\(host.name)$", "host/\(host.name)", "host/\(host.fqdn)", "RestrictedKrbHost/\(host.name)", "RestrictedKrbHost/\(host.fqdn)",
        ] {
            #expect(listing.stdout.contains("\(principal)@\(lab.realm) (aes256-cts-hmac-sha1-96)"), "\(principal) in \(listing.stdout)")
            #expect(listing.stdout.contains("\(principal)@\(lab.realm) (aes128-cts-hmac-sha1-96)"))
        }
        #expect(!listing.stdout.contains("arcfour"))
        #expect(try keytabVersions(host) == ["1"])
        #expect(object["msds-keyversionnumber"] == ["1"])
        let kinit = try kinitWithKeytab(host)
        #expect(kinit.status == 0, "kinit -k: \(kinit.stderr)")
    }

    @Test func refusedInTheComputersContainerWithNothingLeftBehind() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let result = try join(host, ou: nil)
        #expect(result.status == Status.insufficientPermissions.exitCode, "\(result.stdout) \(result.stderr)")
        let output = try json(result)
        #expect(output["status"] as? String == "INSUFFICIENT_PERMISSIONS")
        #expect((output["message"] as? String)?.contains("CN=Computers,\(lab.baseDN)") == true)
        #expect(try admin.count(host.name + "$") == 0)
        #expect(!FileManager.default.fileExists(atPath: host.keytab.path))
    }

    @Test func wrongPasswordIsAccessDenied() throws {
        let host = try TestHost(domain: lab.domain)
        let wrong = host.root.appendingPathComponent("wrong")
        try Data("certainly-not-it\n".utf8).write(to: wrong)
        let result = try join(host, ou: lab.organizationalUnit, password: wrong)
        #expect(result.status == Status.accessDenied.exitCode)
        #expect(try json(result)["status"] as? String == "ACCESS_DENIED")
        #expect(try admin.count(host.name + "$") == 0)
    }

    /// A rerun on a healthy host keeps its keys (kvno 1 stays: password changes are rotate's); a rerun
    /// whose keytab is gone resets the password (kvno 2), and the old kvno's entries do not pile up.
    @Test func rerunReusesTheAccountAndStillWorks() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        #expect(try join(host, ou: lab.organizationalUnit).status == 0)
        let again = try join(host, ou: lab.organizationalUnit)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try json(again)["kvno"] as? Int == 1)
        #expect((try json(again)["message"] as? String)?.hasPrefix("reused") == true)
        #expect((try json(again)["message"] as? String)?.contains("keys kept") == true)
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == ["1"])
        #expect(try keytabVersions(host) == ["1"])

        try FileManager.default.removeItem(at: host.keytab)
        let reset = try join(host, ou: lab.organizationalUnit)
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(try json(reset)["kvno"] as? Int == 2)
        #expect((try json(reset)["message"] as? String)?.contains("keys kept") == false)
        #expect(try admin.count(host.name + "$") == 1)
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == ["2"])
        let listing = try run(URL(fileURLWithPath: "/usr/bin/klist"), ["-k", host.keytab.path])
        #expect(listing.stdout.split(separator: "\n").filter { $0.contains("@\(lab.realm)") }.count == 10)
        #expect(try keytabVersions(host) == ["2"])
        #expect(try kinitWithKeytab(host).status == 0)
    }

    /// A keytab that lost its SPN entries but still logs in: the rerun keeps the keys and puts the
    /// entries back (copies of NAME$'s: an account's principals share its keys), with no password set.
    @Test func aRerunCompletesAKeytabThatStillLogsIn() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        #expect(try join(host, ou: lab.organizationalUnit).status == 0)
        let entries = try KeytabFormat.decode(Array(try Data(contentsOf: host.keytab)))
        try Data(KeytabFormat.encode(entries.filter { $0.components == ["\(host.name)$"] })).write(to: host.keytab)
        #expect(try run(URL(fileURLWithPath: "/usr/bin/klist"), ["-k", host.keytab.path]).stdout.contains("host/") == false)

        let again = try join(host, ou: lab.organizationalUnit)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("Completed the keytab"))
        #expect(try json(again)["kvno"] as? Int == 1)
        #expect(try admin.computer(host.name + "$")?["msds-keyversionnumber"] == ["1"])
        let listing = try run(URL(fileURLWithPath: "/usr/bin/klist"), ["-k", "-e", host.keytab.path]).stdout
        #expect(listing.split(separator: "\n").filter { $0.contains("@\(lab.realm)") }.count == 10)
        #expect(listing.contains("   1 RestrictedKrbHost/\(host.fqdn)@\(lab.realm) (aes128-cts-hmac-sha1-96)"), "\(listing)")
        #expect(try kinitWithKeytab(host).status == 0)
    }

    /// Keys of a type the keytab lacks (--rc4 added on a rerun) cannot be copied: the password is set anew.
    @Test func aRerunThatAddsAnEncryptionTypeSetsANewPassword() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        #expect(try join(host, ou: lab.organizationalUnit).status == 0)
        let again = try join(host, ou: lab.organizationalUnit, extra: ["--rc4"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try json(again)["kvno"] as? Int == 2)
        #expect(try run(URL(fileURLWithPath: "/usr/bin/klist"), ["-k", "-e", host.keytab.path]).stdout.contains("arcfour-hmac)"))
        #expect(try admin.computer(host.name + "$")?["msds-supportedencryptiontypes"] == ["28"])
        #expect(try kinitWithKeytab(host).status == 0)
    }

    @Test func prestagedAccountIsReusedAndAdopted() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        try admin.prestage(host.name, in: lab.organizationalUnit)
        let result = try join(host, ou: lab.organizationalUnit)
        #expect(result.status == 0, "\(result.stderr)")
        #expect((try json(result)["message"] as? String)?.hasPrefix("reused") == true)
        #expect(try admin.count(host.name + "$") == 1)
        let object = try #require(try admin.computer(host.name + "$"))
        #expect(object["dnshostname"] == [host.fqdn])
        // The kvno a reset gives was predicted from the search and checked by the proof: the keytab has the DC's.
        let kvno = try #require(object["msds-keyversionnumber"]?.first)
        #expect(try keytabVersions(host) == [kvno])
        #expect((try json(result)["kvno"] as? Int).map(String.init) == kvno)
        #expect(try kinitWithKeytab(host).status == 0)
    }

    @Test func anotherOwnersAccountIsNeverTakenOver() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        #expect(try join(host, ou: lab.organizationalUnit, extra: ["--owner", "i-00000000000000001"]).status == 0)
        let before = try #require(try admin.computer(host.name + "$"))
        let intruder = try TestHost(domain: lab.domain)
        let result = try runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin",
                "--host-fqdn", host.fqdn, "--root", intruder.root.path, "--no-configure", "--dns-server", lab.dcIP,
                "--ou", lab.organizationalUnit, "--owner", "i-00000000000000002", "--output", "json",
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(result.status == Status.accountConflict.exitCode)
        #expect((try json(result)["message"] as? String)?.contains("i-00000000000000001") == true)
        let after = try #require(try admin.computer(host.name + "$"))
        #expect(after["msds-keyversionnumber"] == before["msds-keyversionnumber"])
        // The add that went with the search was refused and changed nothing, not even the account's USN.
        #expect(after["usnchanged"] == before["usnchanged"] && before["usnchanged"] != nil)
        #expect(after["info"] == ["adjoin-owner: i-00000000000000001"])
        #expect(!FileManager.default.fileExists(atPath: intruder.keytab.path))
    }

    @Test func otherPrincipalsInTheKeytabAreKept() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        // A keytab that already serves another principal (say, an HTTP service of this host).
        try FileManager.default.createDirectory(at: host.keytab.deletingLastPathComponent(), withIntermediateDirectories: true)
        let ktutil =
            "addent -password -p HTTP/other.example.org@OTHER.ORG -k 7 -e aes256-cts-hmac-sha1-96 -s somesalt\nsecret\nwkt \(host.keytab.path)\n"
        let script = host.root.appendingPathComponent("ktutil.in")
        try Data(ktutil.utf8).write(to: script)
        _ = try run(URL(fileURLWithPath: "/usr/bin/ktutil"), [], stdin: script)
        #expect(
            try run(URL(fileURLWithPath: "/usr/bin/klist"), ["-k", host.keytab.path]).stdout.contains("HTTP/other.example.org@OTHER.ORG"))
        #expect(try join(host, ou: lab.organizationalUnit).status == 0)
        let listing = try run(URL(fileURLWithPath: "/usr/bin/klist"), ["-k", host.keytab.path]).stdout
        #expect(listing.contains("   7 HTTP/other.example.org@OTHER.ORG"))
        #expect(listing.contains("\(host.name)$@\(lab.realm)"))
    }

    @Test func noChildProcessAndNoPasswordInAnyOutput() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let (result, trace) = try tracedJoin(host, trace: "trace=execve", dc: ["--dns-server", lab.dcIP])
        #expect(result.status == 0, "\(result.stderr)")
        let calls = trace.split(separator: "\n").filter { $0.contains("execve(") }
        #expect(calls.count == 1, "execve calls: \(calls)")
        #expect(calls.first?.contains(Lab.agentBinary.path) == true)

        let password = String(decoding: try lab.joinPassword(), as: UTF8.self)
        #expect(!result.stdout.contains(password) && !result.stderr.contains(password))
        #expect(!trace.contains(password))
    }

    /// With the DC given, every packet goes to it: no DNS (GSSAPI must not canonicalise the DC's name
    /// through the system's resolver), no other server. (Without the registration in DNS, whose update
    /// goes to the DC's port 53: DNSRegistrationIntegrationTests checks that one.)
    @Test func talksOnlyToThePinnedDC() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let (result, text) = try tracedJoin(
            host, trace: "trace=connect,sendto,sendmsg,sendmmsg",
            dc: ["--domain-controller", lab.dcIP, "--no-register-dns"])
        #expect(result.status == 0, "\(result.stderr)")
        let destinations = Set(text.matches(of: /sin_port=htons\((\d+)\), sin_addr=inet_addr\("([\d.]+)"\)/).map { "\($0.2):\($0.1)" })
        #expect(!destinations.isEmpty)
        #expect(destinations.allSatisfy { $0.hasPrefix(lab.dcIP + ":") }, "destinations: \(destinations)")
        #expect(!destinations.contains { $0.hasSuffix(":53") })
        // LDAP on 389, sealed by SASL: no LDAPS, so no TLS channel binding to satisfy.
        #expect(destinations.contains(lab.dcIP + ":389") && !destinations.contains(lab.dcIP + ":636"), "destinations: \(destinations)")
        #expect(!text.contains("sin6_port"), "IPv6 traffic: \(text)")
    }

    /// The C libraries load no plugin the join does not use: of Cyrus SASL's, only GSSAPI's; of
    /// libkrb5's pre-authentication plugins, not SPAKE's or PKINIT's; and so not OpenSSL's libcrypto
    /// or Berkeley DB, which those bring (about 2 MB of resident memory); nor libcurl, which only AWS
    /// calls load. glibc's loader lists them.
    @Test func loadsOnlyThePluginsAKerberosJoinUses() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let prefix = host.root.appendingPathComponent("ld-debug").path
        let result = try join(host, ou: lab.organizationalUnit, environment: ["LD_DEBUG": "files", "LD_DEBUG_OUTPUT": prefix])
        #expect(result.status == 0, "\(result.stderr)")
        var loaded: Set<String> = []
        for file in try FileManager.default.contentsOfDirectory(atPath: host.root.path) where file.hasPrefix("ld-debug.") {
            let log = try String(contentsOfFile: host.root.appendingPathComponent(file).path, encoding: .utf8)
            for match in log.matches(of: /file=(\S+) \[0\];  (?:needed|dynamically loaded) by/) {
                loaded.insert(String(match.1.split(separator: "/").last ?? ""))
            }
        }
        #expect(loaded.contains("libgssapiv2.so"), "loaded: \(loaded.sorted())")
        for unwanted in [
            "libcurl.so.4", "libcrypto.so.3", "libscram.so", "libdigestmd5.so", "libntlm.so", "libsasldb.so", "libdb-5.3.so", "spake.so",
            "pkinit.so",
        ] {
            #expect(!loaded.contains(unwanted), "\(unwanted) was loaded")
        }
    }
}
