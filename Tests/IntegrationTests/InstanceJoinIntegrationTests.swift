import Foundation
import Testing
import TestSupport

/// `adjoin join` on an EC2 instance with no settings flags: identity and role credentials from its
/// IMDSv2 emulator, settings from a SecureString parameter, tags from metadata or DescribeTags,
/// status in DynamoDB; every AWS request goes through the proxy that checks its signature with
/// botocore. The directory is the lab's real DC.
@Suite(.serialized, .needsLab) struct InstanceJoinIntegrationTests {
    let lab: Lab
    let aws: AWSFixture
    let admin: AdminDirectory
    let password: String
    let table = "adjoin-status-" + UUID().uuidString.prefix(8).lowercased()

    init() throws {
        lab = try Lab.current()
        aws = try AWSFixture.current()
        admin = AdminDirectory(lab: lab)
        password = String(decoding: try lab.joinPassword(), as: UTF8.self)
        try aws.createStatusTable(table)
    }

    func settings(_ extra: [String: Any] = [:], legacy: Bool = false, passwordParameter: String? = nil) throws -> String {
        var document: [String: Any] =
            legacy
            ? ["dnsName": lab.domain, "dnsIP1": lab.dcIP, "adJoinUserName": lab.joinUser]
            : ["domain": lab.domain, "domainControllers": [lab.dcIP], "joinUser": lab.joinUser]
        document["organizationalUnit"] = lab.organizationalUnit
        document["statusTable"] = table
        if let passwordParameter {
            document[legacy ? "adJoinUserPwParam" : "joinPasswordParameter"] = passwordParameter
        } else {
            document["joinPassword"] = password
        }
        document.merge(extra) { $1 }
        let name = "/adjoin-test/" + UUID().uuidString
        try aws.putSecureString(name, value: String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self))
        return name
    }

    static func hostname() -> String { "ip-10-9-\(Int.random(in: 0...255))-\(Int.random(in: 0...255))" }

    private func join(_ instance: EC2Instance, parameter: String, root given: URL? = nil) throws -> (CommandResult, [String: Any]) {
        let scratch = given == nil ? ScratchRoot("adjoin-root") : nil
        defer { scratch?.remove() }
        let root = given ?? scratch!.url
        return try agent(instance, ["join", "--parameter", parameter, "--no-configure", "--root", root.path, "--output", "json"])
    }

    func agent(_ instance: EC2Instance, _ arguments: [String]) throws -> (CommandResult, [String: Any]) {
        let result = try instance.runAgent(arguments)
        #expect(!result.stdout.contains(password) && !result.stderr.contains(password), "the join password was printed")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        return (result, json)
    }

    /// Every request the agent made was verified by botocore, and these operations were among them.
    func expectAllSigned(_ instance: EC2Instance, including operations: [String]) throws {
        let verdicts = try instance.verdicts()
        #expect(!verdicts.isEmpty)
        #expect(verdicts.allSatisfy { $0.verdict == "verified" }, "\(verdicts)")
        for operation in operations {
            #expect(verdicts.contains { $0.operation.hasSuffix(operation) }, "no \(operation) in \(verdicts.map(\.operation))")
        }
    }

    /// On EC2 the address registered in DNS is the instance's private IPv4 from metadata; when metadata
    /// says another, status reports the drift and rotate registers the new one; leave removes it.
    @Test func theInstancesPrivateAddressIsRegisteredAndFollowed() throws {
        let instance = try EC2Instance(hostname: Self.hostname(), tags: [:], tagsExposed: true)
        let name = instance.hostname.uppercased()
        let fqdn = instance.hostname.lowercased() + "." + lab.domain
        let prefix = "10.71.\(Int.random(in: 0...255))."
        try instance.setMetadata("localIpv4", prefix + "1")
        let scratch = ScratchRoot("adjoin-root")
        let root = scratch.url
        defer {
            _ = try? instance.runAgent(["leave", "--root", root.path])
            try? admin.delete(name + "$")
            scratch.remove()
        }
        func addresses() throws -> Set<String> {
            let dig = try run(URL(fileURLWithPath: "/usr/bin/dig"), ["+short", "+tcp", "@\(lab.dcIP)", fqdn, "A"])
            return Set(dig.stdout.split(separator: "\n").map(String.init))
        }
        let (result, json) = try join(instance, parameter: try settings(), root: root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(json["dnsRecord"] as? String == "\(fqdn) A \(prefix)1")
        #expect(try addresses() == [prefix + "1"])
        let record = try String(contentsOf: root.appendingPathComponent("var/lib/adjoin/joined"), encoding: .utf8)
        #expect(record.contains("dns-address-source=instance\n"), "\(record)")

        try instance.setMetadata("localIpv4", prefix + "2")
        let drifted = try instance.runAgent(["status", "--root", root.path])
        #expect(drifted.status == 23, "\(drifted.stdout)\(drifted.stderr)")
        #expect(drifted.stdout.contains("not to this host's address \(prefix)2"), "\(drifted.stdout)")
        let rotated = try instance.runAgent(["rotate", "--root", root.path])
        #expect(rotated.status == 0, "\(rotated.stdout)\(rotated.stderr)")
        #expect(try addresses() == [prefix + "2"])
        let healthy = try instance.runAgent(["status", "--root", root.path])
        #expect(healthy.status == 0, "\(healthy.stdout)")
        let leave = try instance.runAgent(["leave", "--root", root.path])
        #expect(leave.status == 0, "\(leave.stderr)")
        #expect(try addresses().isEmpty)
    }

    @Test func modernSettingsAndTagsFromMetadataJoinAndReportJoined() throws {
        let instance = try EC2Instance(hostname: Self.hostname(), tags: ["adGroupName": lab.loginGroup, "Name": "web"], tagsExposed: true)
        let name = instance.hostname.uppercased()
        defer { try? admin.delete(name + "$") }
        let (result, json) = try join(instance, parameter: try settings())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(json["status"] as? String == "JOINED")
        #expect(json["instanceId"] as? String == instance.instanceId)
        #expect(json["statusTable"] as? String == "written")
        let account = try #require(try admin.computer(name + "$"))
        #expect(account["info"] == ["adjoin-owner: \(instance.instanceId) account=210987654321 region=us-east-1"])
        let item = try #require(try aws.statusItem(table: table, instanceId: instance.instanceId))
        #expect(item["status"] == "JOINED")
        #expect(item["domain"] == lab.domain)
        #expect(item["computerName"] == name)
        #expect(item["computerDN"] == account["dn"]?.first)
        #expect(item["domainController"]?.isEmpty == false)
        #expect(item["accountId"] == "210987654321")
        #expect(item["region"] == "us-east-1")
        #expect(item["agentVersion"]?.isEmpty == false)
        #expect(item["updatedAt"]?.hasSuffix("Z") == true)
        #expect(Int(item["durationMs"] ?? "") != nil)
        try expectAllSigned(instance, including: ["GetParameter", "PutItem"])
        #expect(!(try instance.verdicts()).contains { $0.operation.hasSuffix("DescribeTags") }, "tags were in metadata")
    }

    /// The boot unit's `join --unless-joined` on a healthy instance notices a retagged login or sudo group
    /// (from metadata, before any settings or password are read) and joins again to configure it.
    @Test func aRetaggedInstanceIsReconfiguredAtTheNextBoot() throws {
        let instance = try EC2Instance(hostname: Self.hostname(), tags: ["adGroupName": lab.loginGroup], tagsExposed: true)
        let name = instance.hostname.uppercased()
        defer { try? admin.delete(name + "$") }
        let image = try imageRoot(lab)
        defer { image.remove() }
        let parameter = try settings(["registerDNS": false])
        let boot = ["join", "--unless-joined", "--parameter", parameter, "--root", image.directory.path, "--output", "json"]
        let (joined, _) = try agent(instance, boot)
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(try image.text("/etc/sssd/sssd.conf").contains("simple_allow_groups = \(lab.loginGroup)"))
        #expect(!FileManager.default.fileExists(atPath: image.file("/etc/sudoers.d/adjoin").path))

        let before = try instance.verdicts().filter { $0.operation.hasSuffix("GetParameter") }.count
        let (unchanged, _) = try agent(instance, boot)
        #expect(unchanged.status == 0 && unchanged.stdout.contains("nothing changed"), "\(unchanged.stdout)")
        #expect(try instance.verdicts().filter { $0.operation.hasSuffix("GetParameter") }.count == before, "the settings were read")

        try instance.setMetadata("tags", ["adGroupName": "Domain Users", "adSudoGroupName": lab.loginGroup])
        let (retagged, json) = try agent(instance, boot)
        #expect(retagged.status == 0, "\(retagged.stderr)")
        #expect(json["status"] as? String == "JOINED")
        #expect(retagged.stderr.contains("the groups allowed to log in are now Domain Users"), "\(retagged.stderr)")
        #expect(try image.text("/etc/sssd/sssd.conf").contains("simple_allow_groups = Domain Users"))
        #expect(try image.text("/etc/sudoers.d/adjoin").contains("%\(lab.loginGroup) ALL=(ALL:ALL) ALL"))
    }

    /// `statusRoleArn` and `statusRegion`: the instance's role assumes the central account's role
    /// (STS), and that role's credentials write the item in the central table's region.
    @Test func statusGoesToACentralAccountsTableThroughAnAssumedRole() throws {
        let role = "arn:aws:iam::111122223333:role/adjoin-status-writer"
        let region = "eu-west-1"
        let central = "adjoin-central-" + UUID().uuidString.prefix(8).lowercased()
        try aws.createStatusTable(central, role: role, region: region)
        let instance = try EC2Instance(hostname: Self.hostname(), tags: [:], tagsExposed: true)
        let name = instance.hostname.uppercased()
        defer { try? admin.delete(name + "$") }
        let parameter = try settings(["statusTable": central, "statusRoleArn": role, "statusRegion": region])
        let (result, json) = try join(instance, parameter: parameter)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(json["statusTable"] as? String == "written")
        let item = try #require(try aws.statusItem(table: central, instanceId: instance.instanceId, role: role, region: region))
        #expect(item["status"] == "JOINED")
        #expect(item["accountId"] == "210987654321", "the instance's own account, not the central one")
        #expect(item["region"] == "us-east-1", "the instance's region, not the table's")
        // The table is not in the instance's account: nothing was written there.
        #expect(try aws.statusItem(table: table, instanceId: instance.instanceId) == nil)

        try expectAllSigned(instance, including: ["GetParameter", "AssumeRole"])
        #expect(!(try instance.verdicts()).contains { $0.operation.hasSuffix("PutItem") }, "the instance's own keys wrote the item")
        // The key the instance's AssumeRole got (other suites write to the same log meanwhile).
        let assumedKeys = try aws.keysIssued(to: instance.accessKeyId)
        #expect(assumedKeys.count == 1, "\(assumedKeys)")
        let assumed = try aws.verdicts().filter { assumedKeys.contains($0.accessKeyId) }
        #expect(assumed.map(\.operation) == ["DynamoDB_20120810.PutItem", "DynamoDB_20120810.PutItem"], "JOINING, then JOINED")
        #expect(assumed.allSatisfy { $0.verdict == "verified" && $0.region == region })
    }

    @Test func legacySettingsWithAPasswordParameterAndTagsFromDescribeTags() throws {
        let instance = try EC2Instance(hostname: Self.hostname(), tags: [:], tagsExposed: false)
        try aws.tagInstance(instance.instanceId, tags: ["autoadjoin": "true", "adGroupName": lab.loginGroup])
        let name = instance.hostname.uppercased()
        defer { try? admin.delete(name + "$") }
        let passwordParameter = "/adjoin-test/password-" + UUID().uuidString
        try aws.putSecureString(passwordParameter, value: password + "\n")
        let (result, json) = try join(instance, parameter: try settings(legacy: true, passwordParameter: passwordParameter))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(json["status"] as? String == "JOINED")
        #expect(result.stderr.contains("DescribeTags"))
        #expect(try admin.computer(name + "$") != nil)
        #expect(try aws.statusItem(table: table, instanceId: instance.instanceId)?["status"] == "JOINED")
        try expectAllSigned(instance, including: ["GetParameter", "DescribeTags", "PutItem"])
        #expect(try instance.verdicts().filter { $0.operation.hasSuffix("GetParameter") }.count == 2)
    }

    @Test func autoadjoinFalseSkipsAndChangesNothing() throws {
        let instance = try EC2Instance(hostname: Self.hostname(), tags: ["autoadjoin": "False"], tagsExposed: true)
        let name = instance.hostname.uppercased()
        defer { try? admin.delete(name + "$") }
        let (result, json) = try join(instance, parameter: try settings())
        #expect(result.status == 0)
        #expect(json["status"] as? String == "SKIPPED")
        #expect(try admin.computer(name + "$") == nil)
        #expect(try aws.statusItem(table: table, instanceId: instance.instanceId)?["status"] == "SKIPPED")
        try expectAllSigned(instance, including: ["PutItem"])
    }

    @Test func aSecondInstanceWithTheSameHostnameDoesNotGetTheAccount() throws {
        let hostname = Self.hostname()
        let first = try EC2Instance(hostname: hostname, tags: [:], tagsExposed: true)
        let second = try EC2Instance(hostname: hostname, tags: [:], tagsExposed: true)
        let name = hostname.uppercased()
        defer { try? admin.delete(name + "$") }
        let parameter = try settings()
        let (joined, _) = try join(first, parameter: parameter)
        #expect(joined.status == 0, "\(joined.stderr)")
        let before = try #require(try admin.computer(name + "$"))
        let (refused, json) = try join(second, parameter: parameter)
        #expect(refused.status == 16)
        #expect(json["status"] as? String == "ACCOUNT_CONFLICT")
        let after = try #require(try admin.computer(name + "$"))
        #expect(after["info"] == ["adjoin-owner: \(first.instanceId) account=210987654321 region=us-east-1"])
        #expect(after["msds-keyversionnumber"] == before["msds-keyversionnumber"])
        #expect(try aws.statusItem(table: table, instanceId: second.instanceId)?["status"] == "ACCOUNT_CONFLICT")
        #expect(try aws.statusItem(table: table, instanceId: first.instanceId)?["status"] == "JOINED")
    }

    @Test func namesFromInstanceIdsKeepInstancesWithOneHostnameApart() throws {
        let hostname = Self.hostname()
        let first = try EC2Instance(hostname: hostname, tags: [:], tagsExposed: true)
        let second = try EC2Instance(hostname: hostname, tags: [:], tagsExposed: true)
        let parameter = try settings(["computerNameFrom": "instance-id"])
        var names: [String] = []
        defer { for name in names { try? admin.delete(name + "$") } }
        for instance in [first, second] {
            let (result, json) = try join(instance, parameter: parameter)
            #expect(result.status == 0, "\(result.stderr)")
            let name = try #require(json["computerName"] as? String)
            names.append(name)
            #expect(name.count == 15 && name.hasPrefix("I"))
            let account = try #require(try admin.computer(name + "$"))
            #expect(account["info"] == ["adjoin-owner: \(instance.instanceId) account=210987654321 region=us-east-1"])
            #expect(account["dnshostname"] == ["\(name.lowercased()).\(lab.domain)"])
        }
        #expect(Set(names).count == 2)
    }

    @Test func theLeaveUnitLeavesOnlyWhenTheInstanceTerminates() throws {
        let instance = try EC2Instance(hostname: Self.hostname(), tags: [:], tagsExposed: true)
        let name = instance.hostname.uppercased()
        defer { try? admin.delete(name + "$") }
        let scratch = ScratchRoot("adjoin-root")
        defer { scratch.remove() }
        let root = scratch.url
        let (joined, _) = try join(instance, parameter: try settings(), root: root)
        #expect(joined.status == 0, "\(joined.stderr)")

        for (state, spot) in [
            ("InService", nil), ("Terminating:Wait", nil), ("InService", ["action": "stop", "time": "2026-01-01T00:00:00Z"]),
        ] as [(String, [String: String]?)] {
            try instance.setMetadata("lifecycleState", state)
            try instance.setMetadata("spotInstanceAction", spot)
            let (stayed, json) = try agent(instance, ["leave", "--only-if-terminating", "--root", root.path, "--output", "json"])
            #expect(stayed.status == 0)
            #expect(json["status"] as? String == "SKIPPED", "\(state) \(String(describing: spot))")
            #expect(try admin.computer(name + "$") != nil)
        }

        try instance.setMetadata("spotInstanceAction", nil)
        try instance.setMetadata("lifecycleState", "Terminated")
        let requestsBefore = try instance.metadataRequests().count
        let (left, json) = try agent(instance, ["leave", "--only-if-terminating", "--root", root.path, "--output", "json"])
        let requests = try instance.metadataRequests().dropFirst(requestsBefore)
        // One session token serves the termination check and the settings.
        #expect(requests.filter { $0.hasPrefix("PUT /latest/api/token") }.count == 1, "\(requests)")
        #expect(left.status == 0, "\(left.stderr)")
        #expect(json["status"] as? String == "DETACHED")
        #expect(json["statusTable"] as? String == "written")
        #expect(try admin.computer(name + "$") == nil)
        // Reported where the join reported, without being told: the join recorded its settings parameter.
        #expect(try aws.statusItem(table: table, instanceId: instance.instanceId)?["status"] == "DETACHED")
        try expectAllSigned(instance, including: ["GetParameter", "PutItem"])
    }

    @Test func aRemoteLeaveByInstanceIdTakesItsSettingsFromTheParameter() throws {
        let parameter = try settings()
        let departed = try EC2Instance(hostname: Self.hostname(), tags: [:], tagsExposed: true)
        let neighbour = try EC2Instance(hostname: Self.hostname(), tags: [:], tagsExposed: true)
        let adminHost = try EC2Instance(hostname: Self.hostname(), tags: [:], tagsExposed: true)
        defer { for instance in [departed, neighbour] { try? admin.delete(instance.hostname.uppercased() + "$") } }
        for instance in [departed, neighbour] {
            #expect(try join(instance, parameter: parameter).0.status == 0)
        }
        let (result, json) = try agent(
            adminHost, ["leave", "--instance-id", departed.instanceId, "--parameter", parameter, "--output", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(json["status"] as? String == "DETACHED")
        #expect(try admin.computer(departed.hostname.uppercased() + "$") == nil)
        #expect(try admin.computer(neighbour.hostname.uppercased() + "$") != nil)
        #expect(try aws.statusItem(table: table, instanceId: departed.instanceId)?["status"] == "DETACHED")
        #expect(try aws.statusItem(table: table, instanceId: neighbour.instanceId)?["status"] == "JOINED")
        #expect(try aws.statusItem(table: table, instanceId: adminHost.instanceId) == nil)
        try expectAllSigned(adminHost, including: ["GetParameter", "PutItem"])
    }
}
