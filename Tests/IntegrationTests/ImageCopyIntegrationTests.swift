import Foundation
import Testing

/// An image baked from a joined instance, booted as other instances: each copy is joined as itself and
/// never touches the account of the instance the image was made from. Through the binary, against the
/// lab DC, with each instance's own metadata emulator (a new instance id and host name per copy).
extension InstanceJoinIntegrationTests {
    @Test func anImageOfAJoinedInstanceJoinsEachCopyAsItself() throws {
        let image = try imageRoot(lab)
        defer { image.remove() }
        let tags = ["adGroupName": lab.loginGroup]
        let a = try EC2Instance(hostname: Self.hostname(), tags: tags, tagsExposed: true)
        let b = try EC2Instance(hostname: Self.hostname(), tags: tags, tagsExposed: true)
        let c = try EC2Instance(hostname: Self.hostname(), tags: tags, tagsExposed: true)
        let (nameA, nameB) = (a.hostname.uppercased(), b.hostname.uppercased())
        defer { for name in [nameA, nameB, c.hostname.uppercased()] { try? admin.delete(name + "$") } }
        let parameter = try settings()
        let beforeJoin = try contentSnapshot(image.directory)

        // 1. Instance A joins; its root becomes the image.
        let (joined, _) = try agent(
            a, ["join", "--unless-joined", "--parameter", parameter, "--root", image.directory.path, "--output", "json"])
        #expect(joined.status == 0, "\(joined.stderr)")
        let kvnoA = try #require(try admin.computer(nameA + "$")?["msds-keyversionnumber"])
        let copyB = try copyOfRoot(image.directory, "b")
        let copyC = try copyOfRoot(image.directory, "c")
        defer { for copy in [copyB, copyC] { try? FileManager.default.removeItem(at: copy) } }
        // sssd's cache of the builder's users comes along in the image.
        for copy in [copyB, copyC] {
            let cache = copy.appendingPathComponent("var/lib/sss/db/cache_\(lab.domain).ldb")
            try FileManager.default.createDirectory(at: cache.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("the builder's cached users".utf8).write(to: cache)
        }
        let keytabA = image.file("/etc/krb5.keytab")

        // 2. B boots from the image: status says it is a copy, naming both instances.
        let (status, statusJSON) = try agent(b, ["status", "--root", copyB.path, "--output", "json"])
        #expect(status.status == 25, "\(status.stdout)")
        #expect(statusJSON["status"] as? String == "CLONED")
        let message = try #require(statusJSON["message"] as? String)
        #expect(message.contains(a.instanceId) && message.contains(b.instanceId), "\(message)")

        // 3. B's rotate timer fires: refused, A's password untouched.
        let (rotate, rotateJSON) = try agent(b, ["rotate", "--root", copyB.path, "--max-age", "0", "--output", "json"])
        #expect(rotate.status == 25, "\(rotate.stdout)")
        #expect(rotateJSON["status"] as? String == "CLONED")
        #expect(try admin.computer(nameA + "$")?["msds-keyversionnumber"] == kvnoA)

        // 4. B's boot unit: joins as B, under B's name and owner, with none of A's keys.
        let (joinB, joinJSON) = try agent(
            b, ["join", "--unless-joined", "--parameter", parameter, "--root", copyB.path, "--output", "json"])
        #expect(joinB.status == 0, "\(joinB.stderr)")
        #expect(joinJSON["status"] as? String == "JOINED")
        #expect(joinJSON["computerName"] as? String == nameB)
        #expect(joinB.stderr.contains("discarding what it inherited from \(a.instanceId)"), "\(joinB.stderr)")
        #expect(try admin.computer(nameB + "$")?["info"] == ["adjoin-owner: \(b.instanceId) account=210987654321 region=us-east-1"])
        let keytabB = copyB.appendingPathComponent("etc/krb5.keytab")
        #expect(try keytabVersions(keytabB, principal: "\(nameB)$@\(lab.realm)") == [1])
        #expect(try keytabVersions(keytabB, principal: "\(nameA)$@\(lab.realm)").isEmpty, "B's keytab holds A's keys")
        #expect(try kinit(keytabB, nameB).status == 0)
        #expect(!FileManager.default.fileExists(atPath: copyB.appendingPathComponent("var/lib/sss/db/cache_\(lab.domain).ldb").path))
        #expect(
            try String(contentsOf: copyB.appendingPathComponent("etc/sssd/sssd.conf"), encoding: .utf8).contains(
                "ad_hostname = \(b.hostname.lowercased())."))
        #expect(try aws.statusItem(table: table, instanceId: b.instanceId)?["status"] == "JOINED")
        // A is as it was: same kvno, and its keytab still logs in.
        #expect(try admin.computer(nameA + "$")?["msds-keyversionnumber"] == kvnoA)
        #expect(try kinit(keytabA, nameA).status == 0)
        // B's status is its own now; a second boot changes nothing.
        #expect(try agent(b, ["status", "--root", copyB.path, "--output", "json"]).1["status"] as? String == "HEALTHY")
        let (again, againJSON) = try agent(
            b, ["join", "--unless-joined", "--parameter", parameter, "--root", copyB.path, "--output", "json"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect((againJSON["message"] as? String)?.contains("already joined and healthy") == true, "\(again.stdout)")

        // 5. C, another copy, is terminated without ever joining: A's account stays, C is cleaned.
        try c.setMetadata("lifecycleState", "Terminated")
        let (left, leftJSON) = try agent(c, ["leave", "--only-if-terminating", "--root", copyC.path, "--output", "json"])
        #expect(left.status == 0, "\(left.stderr)")
        #expect(leftJSON["status"] as? String == "DETACHED")
        #expect(leftJSON["copyOf"] as? String == a.instanceId)
        #expect((leftJSON["removed"] as? [String])?.isEmpty == true)
        #expect(try admin.computer(nameA + "$")?["msds-keyversionnumber"] == kvnoA)
        #expect(try keytabVersions(copyC.appendingPathComponent("etc/krb5.keytab"), principal: "\(nameA)$@\(lab.realm)").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: copyC.appendingPathComponent("var/lib/adjoin/joined").path))

        // 6. A itself behaves as before: healthy, rotates, leaves.
        #expect(try agent(a, ["status", "--root", image.directory.path, "--output", "json"]).1["status"] as? String == "HEALTHY")
        let (rotatedA, rotatedJSON) = try agent(a, ["rotate", "--root", image.directory.path, "--max-age", "0", "--output", "json"])
        #expect(rotatedA.status == 0, "\(rotatedA.stderr)")
        #expect(rotatedJSON["kvno"] as? Int == (Int(kvnoA.first ?? "") ?? 0) + 1)
        #expect(try agent(a, ["leave", "--root", image.directory.path, "--output", "json"]).0.status == 0)
        #expect(try admin.count(nameA + "$") == 0)
        #expect(try admin.count(nameB + "$") == 1, "A's leave took B's account")

        // 7. B leaves: its account goes, and its root is the image as it was before A joined.
        #expect(try agent(b, ["leave", "--root", copyB.path, "--output", "json"]).0.status == 0)
        #expect(try admin.count(nameB + "$") == 0)
        let afterB = try contentSnapshot(copyB).filter { !$0.key.hasPrefix("/var/lib/sss") }
        let expected = beforeJoin.filter { !$0.key.hasPrefix("/var/lib/sss") }
        let changed = Set(afterB.keys).union(expected.keys).filter { afterB[$0] != expected[$0] }.sorted()
        #expect(changed.isEmpty, "B's leave did not restore the image: \(changed)")
    }

    private func kinit(_ keytab: URL, _ name: String) throws -> CommandResult {
        try run(
            URL(fileURLWithPath: "/usr/bin/kinit"), ["-k", "-t", keytab.path, "\(name)$@\(lab.realm)"],
            environment: ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "MEMORY:image-copy"])
    }
}

/// A copy of a root as an image makes it: every file, mode and link (cp -a).
func copyOfRoot(_ root: URL, _ suffix: String) throws -> URL {
    let copy = root.deletingLastPathComponent().appendingPathComponent(root.lastPathComponent + "-copy-" + suffix)
    let result = try run(URL(fileURLWithPath: "/bin/cp"), ["-a", root.path, copy.path])
    try #require(result.status == 0, "cp -a: \(result.stderr)")
    return copy
}

/// The same off EC2: an image built under --root, copied, and given a new /etc/machine-id (as systemd
/// makes one on first boot when the image's is empty).
extension LifecycleIntegrationTests {
    @Test func underRootACopyWithANewMachineIdJoinsAsItself() throws {
        let image = try imageRoot(lab)
        defer { image.remove() }
        let (hostA, hostB) = (try TestHost(domain: lab.domain), try TestHost(domain: lab.domain))
        defer { for host in [hostA, hostB] { try? admin.delete(host.name + "$") } }
        func join(_ host: TestHost, root: URL) throws -> CommandResult {
            try runAgent(
                [
                    "join", "--unless-joined", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--ou",
                    lab.organizationalUnit,
                    "--host-fqdn", host.fqdn, "--root", root.path, "--domain-controller", lab.dcIP, "--allow-group", lab.loginGroup,
                    "--output", "json",
                ], stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        }
        let joinedA = try join(hostA, root: image.directory)
        #expect(joinedA.status == 0, "\(joinedA.stderr)")
        let kvnoA = try #require(try admin.computer(hostA.name + "$")?["msds-keyversionnumber"])
        let ownerA = try #require(try admin.computer(hostA.name + "$")?["info"]?.first)
        #expect(ownerA.hasPrefix("adjoin-owner: machine:"))

        let copy = try copyOfRoot(image.directory, "machine")
        defer { try? FileManager.default.removeItem(at: copy) }
        let machineID = String((0..<32).map { _ in "0123456789abcdef".randomElement()! })
        try Data((machineID + "\n").utf8).write(to: copy.appendingPathComponent("etc/machine-id"))

        let status = try runAgent(["status", "--root", copy.path, "--output", "json"])
        #expect(status.status == 25, "\(status.stdout)")
        let statusJSON = try jsonObject(status)
        #expect(statusJSON["status"] as? String == "CLONED")
        #expect((statusJSON["message"] as? String)?.contains(String(ownerA.dropFirst("adjoin-owner: ".count))) == true, "\(statusJSON)")
        let rotate = try runAgent(["rotate", "--root", copy.path, "--max-age", "0", "--output", "json"])
        #expect(rotate.status == 25, "\(rotate.stdout)")
        #expect(try admin.computer(hostA.name + "$")?["msds-keyversionnumber"] == kvnoA)

        let joinedB = try join(hostB, root: copy)
        #expect(joinedB.status == 0, "\(joinedB.stderr)")
        let ownerB = try #require(try admin.computer(hostB.name + "$")?["info"]?.first)
        #expect(ownerB.hasPrefix("adjoin-owner: machine:") && ownerB != ownerA)
        let keytabB = copy.appendingPathComponent("etc/krb5.keytab")
        #expect(try keytabVersions(keytabB, principal: "\(hostA.name)$@\(lab.realm)").isEmpty, "the copy kept the image's keys")
        #expect(try kinit(keytabB, hostB.name).status == 0)
        #expect(try admin.computer(hostA.name + "$")?["msds-keyversionnumber"] == kvnoA)
        #expect(try kinit(image.file("/etc/krb5.keytab"), hostA.name).status == 0)

        // The original goes on as before, and each leave takes only its own account.
        #expect(try runAgent(["status", "--root", image.directory.path]).status == 0)
        #expect(try runAgent(["leave", "--root", copy.path]).status == 0)
        #expect(try admin.count(hostB.name + "$") == 0)
        #expect(try admin.count(hostA.name + "$") == 1)
        #expect(try runAgent(["leave", "--root", image.directory.path]).status == 0)
        #expect(try admin.count(hostA.name + "$") == 0)
    }
}
