import AdjoinCore
import Foundation
import Testing
import TestSupport

/// `adjoin sweep` after a churn: instances launched in moto in two AWS accounts and two Regions and
/// joined to the lab's DC by the real binary (each as itself, through its own IMDSv2 emulator, its
/// status item in its own account's and Region's table), some then terminated without leaving. Also
/// an account without adjoin's marker, one whose instance is stopped, one EC2 never knew, one with a
/// marker of an older version (located through its status item), and a third AWS account whose role
/// cannot be assumed. All in an OU of the test's own, so that other tests' accounts are not in it.
@Suite(.serialized, .needsLab) struct SweepIntegrationTests {
    let lab: Lab
    let aws: AWSFixture
    let admin: AdminDirectory
    let table = "adjoin-sweep-" + UUID().uuidString.prefix(8).lowercased()
    let roleName = "adjoin-sweep-" + UUID().uuidString.prefix(8).lowercased()
    /// The admin instance's account is moto's default one (random keys land there); B is reached by
    /// the role, C's role refuses.
    let accountA = "123456789012"
    let accountB = "3" + String(Int.random(in: 10_000_000_000...99_999_999_999))
    let accountC = "4" + String(Int.random(in: 10_000_000_000...99_999_999_999))

    init() throws {
        lab = try Lab.current()
        aws = try AWSFixture.current()
        admin = AdminDirectory(lab: lab)
    }

    struct Member {
        let name: String
        let instanceId: String
        let accountId: String
        let region: String
        /// What happens to it in EC2 after the join.
        let fate: String
    }

    private func role(_ account: String) -> String { account == accountA ? "" : "arn:aws:iam::\(account):role/\(roleName)" }

    /// In moto directly, one Python run for all places: the status table in each account and Region, the
    /// planned number of instances launched there, and keys moto issues in each account other than A (an
    /// AssumeRole there), as those accounts' instance roles would have. Returns, per "account/region",
    /// the instance ids; per account, the keys.
    private func launch(
        _ plan: [(account: String, region: String, count: Int)]
    ) throws
        -> (ids: [String: [String]], keys: [String: (accessKeyId: String, secret: String, token: String)])
    {
        let request = plan.map {
            ["account": $0.account, "role": role($0.account), "region": $0.region, "count": $0.count] as [String: Any]
        }
        let text = try aws.boto3(
            """
            ids, keys = {}, {}
            for p in json.loads(sys.argv[1]):
                role = p['role'] or None
                client('dynamodb', p['region'], role).create_table(TableName=sys.argv[2],
                    KeySchema=[{'AttributeName': 'instanceId', 'KeyType': 'HASH'}],
                    AttributeDefinitions=[{'AttributeName': 'instanceId', 'AttributeType': 'S'}], BillingMode='PAY_PER_REQUEST')
                run = client('ec2', p['region'], role).run_instances(ImageId='ami-12c6146b', MinCount=p['count'], MaxCount=p['count'])
                ids[p['account'] + '/' + p['region']] = [i['InstanceId'] for i in run['Instances']]
                if role and p['account'] not in keys:
                    c = client('sts').assume_role(RoleArn='arn:aws:iam::%s:role/instance-role' % p['account'], RoleSessionName='instance')['Credentials']
                    keys[p['account']] = [c['AccessKeyId'], c['SecretAccessKey'], c['SessionToken']]
            print(json.dumps({'ids': ids, 'keys': keys}))
            """, [String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self), table])
        let reply = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let ids = try #require(reply["ids"] as? [String: [String]])
        let keys = try #require(reply["keys"] as? [String: [String]]).mapValues { (accessKeyId: $0[0], secret: $0[1], token: $0[2]) }
        return (ids, keys)
    }

    /// Terminates or stops each member whose fate says so, in its account and Region (one Python run).
    private func applyFates(_ members: [Member]) throws {
        let changes = members.filter { $0.fate == "terminated" || $0.fate == "stopped" }
            .map { ["role": role($0.accountId), "region": $0.region, "fate": $0.fate, "id": $0.instanceId] }
        _ = try aws.boto3(
            """
            for c in json.loads(sys.argv[1]):
                ec2 = client('ec2', c['region'], c['role'] or None)
                ec2.terminate_instances(InstanceIds=[c['id']]) if c['fate'] == 'terminated' else ec2.stop_instances(InstanceIds=[c['id']])
            """, [String(decoding: try JSONSerialization.data(withJSONObject: changes), as: UTF8.self)])
    }

    /// Each member's status item (attribute values as text), read in its account and Region (one Python run).
    private func statusItems(_ members: [Member]) throws -> [String: [String: String]] {
        let keys = members.map { ["role": role($0.accountId), "region": $0.region, "id": $0.instanceId] }
        let text = try aws.boto3(
            """
            items = {}
            for k in json.loads(sys.argv[1]):
                item = client('dynamodb', k['region'], k['role'] or None).get_item(TableName=sys.argv[2], Key={'instanceId': {'S': k['id']}}).get('Item')
                if item is not None:
                    items[k['id']] = {n: list(v.values())[0] for n, v in item.items()}
            print(json.dumps(items))
            """, [String(decoding: try JSONSerialization.data(withJSONObject: keys), as: UTF8.self), table])
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: [String: String]])
    }

    /// The instance joins as itself: identity from its own metadata, status to its own account's table.
    private func join(_ member: Member, ou: String, keys: (accessKeyId: String, secret: String, token: String)?) throws {
        let instance = try EC2Instance(
            instanceId: member.instanceId, hostname: member.name.lowercased(), tags: [:], tagsExposed: true,
            accountId: member.accountId, region: member.region, roleCredentials: keys)
        let scratch = ScratchRoot("adjoin-sweep")
        defer { scratch.remove() }
        let root = scratch.url
        let result = try instance.runAgent(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin",
                "--domain-controller", lab.dcIP, "--ou", ou, "--host-fqdn", member.name.lowercased() + "." + lab.domain,
                "--no-configure", "--root", root.path, "--status-table", table, "--output", "json",
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        try #require(result.status == 0, "join of \(member.name): \(result.stdout) \(result.stderr)")
    }

    private func sweep(_ admin: EC2Instance, ou: String, _ extra: [String]) throws -> (CommandResult, [String: Any]) {
        let result = try admin.runAgent(
            [
                "sweep", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin",
                "--domain-controller", lab.dcIP, "--ou", ou, "--role-name", roleName, "--status-table", table,
                "--timeout", "120", "--output", "json",
            ] + extra,
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        let password = String(decoding: try lab.joinPassword(), as: UTF8.self)
        #expect(!result.stdout.contains(password) && !result.stderr.contains(password), "the password was printed")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        return (result, json)
    }

    /// The A records of `name`, as dig reads them from the DC.
    private func addresses(_ name: String) throws -> [String] {
        try run(URL(fileURLWithPath: "/usr/bin/dig"), ["+short", "+tcp", "@\(lab.dcIP)", name, "A"]).stdout.split(separator: "\n").map(
            String.init)
    }

    /// instanceId -> (action, state) from sweep's JSON.
    private func actions(_ json: [String: Any]) -> [String: (action: String, state: String?)] {
        var seen: [String: (String, String?)] = [:]
        for account in json["accounts"] as? [[String: Any]] ?? [] {
            seen[account["instanceId"] as? String ?? "?"] = (account["action"] as? String ?? "?", account["state"] as? String)
        }
        return seen
    }

    private func denyRole(_ arn: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("deny-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: ["roleArn": arn]).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try run(
            URL(fileURLWithPath: "/usr/bin/curl"),
            [
                "-sf", "-X", "POST", "-H", "Content-Type: application/json",
                "--data-binary", "@" + file.path, aws.proxyEndpoint + "/adjoin-lab/deny-role",
            ])
        try #require(result.status == 0, "the proxy did not take the denied role")
    }

    private func makeOU() throws -> String {
        let ou = "OU=sweep-\(UUID().uuidString.prefix(8).lowercased()),\(lab.organizationalUnit)"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ou-\(UUID().uuidString).ldif")
        try "dn: \(ou)\nobjectClass: organizationalUnit\n\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try admin.tool("ldapadd", ["-f", file.path])
        try #require(result.status == 0, "ldapadd \(ou): \(result.stderr)")
        return ou
    }

    /// An account as an older adjoin left it: the marker without account and Region.
    private func addOldMarkedAccount(_ name: String, owner: String, in ou: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("old-\(name).ldif")
        try """
        dn: CN=\(name),\(ou)
        objectClass: computer
        sAMAccountName: \(name)$
        userAccountControl: 4096
        info: adjoin-owner: \(owner)

        """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try admin.tool("ldapadd", ["-f", file.path])
        try #require(result.status == 0, "ldapadd \(name): \(result.stderr)")
    }

    private func putJoinedItem(_ instanceId: String, account: String, region: String) throws {
        _ = try aws.boto3(
            """
            client('dynamodb', sys.argv[4]).put_item(TableName=sys.argv[1], Item={'instanceId': {'S': sys.argv[2]}, 'status': {'S': 'JOINED'},
                'accountId': {'S': sys.argv[3]}, 'region': {'S': sys.argv[4]}, 'sequence': {'N': '1'}})
            """, [table, instanceId, account, region])
    }

    @Test func aChurnIsSweptExactlyOnceAndAnAccountThatCannotBeAskedIsLeftAlone() throws {
        let ou = try makeOU()
        defer { _ = try? admin.tool("ldapdelete", ["-r", ou]) }
        let places = [
            (accountA, "us-east-1"), (accountA, "eu-west-1"), (accountB, "us-east-1"), (accountB, "eu-west-1"), (accountC, "us-east-1"),
        ]
        // What becomes of each place's instances after they joined.
        let fates: [String: [String]] = [
            "\(accountA)/us-east-1": ["running", "terminated", "stopped"],
            "\(accountA)/eu-west-1": ["terminated", "running"],
            "\(accountB)/us-east-1": ["terminated", "running"],
            "\(accountB)/eu-west-1": ["terminated", "terminated"],
            "\(accountC)/us-east-1": ["terminated", "running"],
        ]
        // The instance of an older adjoin's account is launched (and terminated) with A's own.
        let launched = try launch(
            places.map {
                (account: $0.0, region: $0.1, count: (fates["\($0.0)/\($0.1)"] ?? []).count + ($0 == (accountA, "us-east-1") ? 1 : 0))
            })
        func newName() -> String { "S" + String(UInt32.random(in: 0...UInt32.max), radix: 36).uppercased() }
        var members: [Member] = []
        var oldID = ""
        for (account, region) in places {
            var ids = launched.ids["\(account)/\(region)"] ?? []
            if account == accountA && region == "us-east-1" { oldID = ids.removeLast() }
            for (id, fate) in zip(ids, fates["\(account)/\(region)"] ?? []) {
                members.append(Member(name: newName(), instanceId: id, accountId: account, region: region, fate: fate))
            }
        }
        // An instance EC2 never knew (its account was joined all the same), in the admin's own account.
        members.append(
            Member(name: newName(), instanceId: EC2Instance.randomInstanceId(), accountId: accountA, region: "us-east-1", fate: "unknown"))
        for member in members { try join(member, ou: ou, keys: launched.keys[member.accountId]) }
        // An older adjoin's account of a terminated instance, found through its status item.
        let oldName = newName()
        try addOldMarkedAccount(oldName, owner: oldID, in: ou)
        try putJoinedItem(oldID, account: accountA, region: "us-east-1")
        members.append(Member(name: oldName, instanceId: oldID, accountId: accountA, region: "us-east-1", fate: "terminated"))
        try applyFates(members)
        // An older adjoin's account with no status item to locate it: it cannot be asked about.
        let unlocated = (name: newName(), instanceId: EC2Instance.randomInstanceId())
        try addOldMarkedAccount(unlocated.name, owner: unlocated.instanceId, in: ou)
        // An account without adjoin's marker.
        let unmarked = newName()
        try admin.prestage(unmarked, in: ou)
        try denyRole("arn:aws:iam::\(accountC):role/\(roleName)")

        let reachable = members.filter { $0.accountId != accountC }
        let due = Set(reachable.filter { $0.fate == "terminated" }.map(\.instanceId))
        let kept = Set(reachable.filter { $0.fate != "terminated" }.map(\.instanceId))
        let unswept = Set(members.filter { $0.accountId == accountC }.map(\.instanceId))
        let sweeper = try EC2Instance(hostname: "ip-10-0-0-5", tags: [:], tagsExposed: true, accountId: accountA, region: "us-east-1")
        let accountsBefore = members.count + 2

        // Dry run: lists exactly the terminated ones, deletes nothing.
        let (dry, dryJSON) = try sweep(sweeper, ou: ou, [])
        #expect(dry.status == Status.partial.exitCode, "\(dry.stdout) \(dry.stderr)")
        #expect(dryJSON["status"] as? String == "PARTIAL")
        #expect(dryJSON["applied"] as? Bool == false)
        var seen = actions(dryJSON)
        #expect(Set(seen.filter { $0.value.action == "delete" }.keys) == due)
        #expect(Set(seen.filter { $0.value.action == "keep" }.keys) == kept)
        #expect(Set(seen.filter { $0.value.action == "not-swept" }.keys) == unswept.union([unlocated.instanceId]))
        #expect(seen.count == members.count + 1, "the unmarked account is not listed")
        let unlocatedReason = (dryJSON["accounts"] as? [[String: Any]])?.first { $0["instanceId"] as? String == unlocated.instanceId }?[
            "reason"]
        #expect((unlocatedReason as? String)?.contains("has no item for it") == true, "\(String(describing: unlocatedReason))")
        for member in members where member.fate == "stopped" { #expect(seen[member.instanceId]?.state == "stopped") }
        for member in members where member.fate == "unknown" { #expect(seen[member.instanceId]?.state == "unknown") }
        let unreachable = dryJSON["unreachable"] as? [[String: Any]] ?? []
        #expect(unreachable.map { $0["place"] as? String } == ["\(accountC)/us-east-1"])
        #expect((unreachable.first?["message"] as? String)?.contains("AccessDenied") == true)
        for member in members { #expect(try admin.computer(member.name + "$") != nil, "\(member.name) deleted by a dry run") }
        #expect(try admin.computer(unmarked + "$") != nil)
        // The same in text: one line per account and per place not asked, the status last.
        let text = try sweeper.runAgent(
            [
                "sweep", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--domain-controller", lab.dcIP,
                "--ou", ou, "--role-name", roleName, "--status-table", table, "--quiet",
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        let lines = text.stdout.split(separator: "\n")
        #expect(text.status == Status.partial.exitCode)
        #expect(lines.filter { $0.hasPrefix("account:") }.count == members.count + 1, "\(text.stdout)")
        #expect(lines.filter { $0.hasPrefix("not-swept:") }.count == 1)
        for member in members where member.fate == "terminated" && member.accountId != accountC {
            #expect(lines.contains { $0.hasPrefix("account:") && $0.contains(member.instanceId) && $0.contains(" delete: EC2 reports") })
        }
        #expect(lines.last?.hasPrefix("status:") == true && lines.last?.hasSuffix("PARTIAL") == true)
        #expect(text.stderr.isEmpty, "--quiet: \(text.stderr)")

        // The instances that registered their names at join (their private address from metadata).
        let registered = Set(try members.map { $0.name.lowercased() + "." + lab.domain }.filter { try !addresses($0).isEmpty })
        #expect(registered.count >= 2, "\(registered)")

        // --apply: deletes exactly those, and their items say DETACHED in their own account and Region.
        let (applied, appliedJSON) = try sweep(sweeper, ou: ou, ["--apply"])
        #expect(applied.status == Status.partial.exitCode, "\(applied.stdout) \(applied.stderr)")
        seen = actions(appliedJSON)
        #expect(Set(seen.filter { $0.value.action == "deleted" }.keys) == due)
        #expect(Set(seen.filter { $0.value.action == "not-swept" }.keys) == unswept.union([unlocated.instanceId]))
        #expect(try admin.computer(unlocated.name + "$") != nil)
        let items = try statusItems(members)
        for member in members {
            let account = try admin.computer(member.name + "$")
            let item = items[member.instanceId]
            if due.contains(member.instanceId) {
                #expect(account == nil, "\(member.name) (\(member.fate)) still there")
                #expect(item?["status"] == "DETACHED", "\(member.instanceId) in \(member.accountId)/\(member.region)")
                #expect(item?["message"]?.contains("terminated") == true)
                #expect(item?["accountId"] == member.accountId && item?["region"] == member.region)
            } else {
                #expect(account != nil, "\(member.name) (\(member.fate), \(member.accountId)) was deleted")
                #expect(item?["status"] == "JOINED")
            }
        }
        #expect(try admin.computer(unmarked + "$") != nil)
        for account in appliedJSON["accounts"] as? [[String: Any]] ?? [] where account["action"] as? String == "deleted" {
            #expect(account["statusTable"] as? String == "written")
            // The sweep removed the name its machine registered.
            let name = (account["computerName"] as? String ?? "?").lowercased() + "." + lab.domain
            #expect(account["dnsRecords"] as? String == (registered.contains(name) ? "removed \(name)" : nil), "\(account)")
            #expect(try addresses(name).isEmpty, "\(name) still resolves")
        }
        let deletedNames = Set(
            (appliedJSON["accounts"] as? [[String: Any]] ?? []).filter { $0["action"] as? String == "deleted" }
                .map { ($0["computerName"] as? String ?? "?").lowercased() + "." + lab.domain })
        #expect(!registered.isDisjoint(with: deletedNames), "no swept instance had registered its name: \(registered)")
        for member in members where !due.contains(member.instanceId) && registered.contains(member.name.lowercased() + "." + lab.domain) {
            #expect(try !addresses(member.name.lowercased() + "." + lab.domain).isEmpty, "\(member.name)'s record went")
        }

        // A second sweep finds nothing to do (and still cannot ask the third account).
        let (again, againJSON) = try sweep(sweeper, ou: ou, ["--apply"])
        #expect(again.status == Status.partial.exitCode)
        seen = actions(againJSON)
        #expect(seen.filter { $0.value.action == "deleted" || $0.value.action == "delete" }.isEmpty)
        #expect(Set(seen.keys) == kept.union(unswept).union([unlocated.instanceId]))

        // Every request of the sweeper was verified by botocore; each other account's role assumed once a run.
        let verdicts = try sweeper.verdicts()
        #expect(verdicts.allSatisfy { $0.verdict == "verified" }, "\(verdicts)")
        #expect(verdicts.filter { $0.operation == "AssumeRole" }.count == 8, "B and C, four runs")
        #expect(verdicts.filter { $0.operation == "DescribeInstances" }.count == 8, "A's two Regions, four runs")

        // A mistyped OU is an error, not an empty sweep.
        let (mistyped, mistypedJSON) = try sweep(sweeper, ou: "OU=no-such-ou," + lab.organizationalUnit, [])
        #expect(mistyped.status == Status.invalidInput.exitCode, "\(mistyped.stdout) \(mistyped.stderr)")
        #expect((mistypedJSON["message"] as? String)?.contains("OU=no-such-ou") == true)

        // With no grace, the account of the instance EC2 never knew is due too (a dry run).
        let (graceless, gracelessJSON) = try sweep(sweeper, ou: ou, ["--grace", "0s"])
        #expect(graceless.status == Status.partial.exitCode)
        let unknown = Set(members.filter { $0.fate == "unknown" }.map(\.instanceId))
        #expect(Set(actions(gracelessJSON).filter { $0.value.action == "delete" }.keys) == unknown)

        // A remote leave by instance id finds an account whose marker carries the location.
        let running = try #require(members.first { $0.fate == "running" && $0.accountId == accountB })
        let leave = try runAgent(
            [
                "leave", "--instance-id", running.instanceId, "--domain", lab.domain, "--user", lab.joinUser,
                "--password-stdin", "--domain-controller", lab.dcIP, "--output", "json",
            ],
            stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(leave.status == 0, "\(leave.stdout) \(leave.stderr)")
        #expect(try admin.computer(running.name + "$") == nil)

        let launchedCount = members.filter { $0.fate != "unknown" }.count
        let terminated = members.filter { $0.fate == "terminated" }.count
        print(
            "sweep churn: \(launchedCount) instances launched in 3 AWS accounts and 2 Regions, \(launchedCount - 1) of them joined by the agent "
                + "(1 account of an older adjoin), plus 1 account of an instance EC2 never knew, 1 of an older adjoin that nothing locates "
                + "and 1 without a marker; \(terminated) "
                + "terminated without leave (\(due.count) where the role could be assumed); computer accounts before the sweep "
                + "\(accountsBefore), after \(accountsBefore - due.count); the second sweep deleted nothing")
    }
}
