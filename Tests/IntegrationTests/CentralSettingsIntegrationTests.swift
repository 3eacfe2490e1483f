import Foundation
import Testing
import TestSupport

/// One configuration for every account: two member accounts and a central one. The central account
/// (moto, through the signature-checking proxy) holds the settings table with an item per member
/// account, the seamless domain join secret and a password parameter; a role there is what member
/// instances assume. Each member instance joins the lab's real DC with no settings flags.
///
/// What moto does not enforce, and so is not proven here: the central role's trust policy (moto's STS
/// lets any caller assume any role), IAM and resource policies (moto checks neither by default), and
/// KMS key policies. The refusals those would produce are sent by the proxy in the service's own error
/// shape (an injected reply), to prove what the agent makes of them.
@Suite(.serialized, .needsLab) struct CentralSettingsIntegrationTests {
    static let centralAccount = "409876543210"
    let lab: Lab
    let aws: AWSFixture
    let admin: AdminDirectory
    let password: String
    let centralRole = "arn:aws:iam::\(centralAccount):role/adjoin-settings-reader"
    let centralRegion = "eu-west-1"
    let table = "adjoin-settings"
    let statusTable = "adjoin-status-central"

    init() throws {
        lab = try Lab.current()
        aws = try AWSFixture.current()
        admin = AdminDirectory(lab: lab)
        password = String(decoding: try lab.joinPassword(), as: UTF8.self)
        try aws.createTable(table, key: "accountId", role: centralRole, region: centralRegion)
        try aws.createTable(statusTable, key: "instanceId", role: centralRole, region: centralRegion)
    }

    /// A member account's instance: its role's keys belong to that account in moto.
    private func instance(account: String) throws -> MemberInstance {
        try MemberInstance(account: account, role: try aws.roleCredentials("arn:aws:iam::\(account):role/adjoin-instance"))
    }

    /// A root whose /etc/default/adjoin points to the central table, as a baked image would have it.
    private func rootPointingToTheTable() throws -> ScratchRoot {
        let scratch = ScratchRoot("adjoin-root")
        let root = scratch.url
        try FileManager.default.createDirectory(at: root.appendingPathComponent("etc/default"), withIntermediateDirectories: true)
        try """
        # baked into the image: no secret, the same in every account
        ADJOIN_JOIN_OPTIONS=""
        ADJOIN_SETTINGS_TABLE=\(table)
        ADJOIN_SETTINGS_REGION="\(centralRegion)"
        ADJOIN_SETTINGS_ROLE_ARN=\(centralRole)

        """.write(to: root.appendingPathComponent("etc/default/adjoin"), atomically: true, encoding: .utf8)
        return scratch
    }

    private func join(_ instance: MemberInstance, root: URL) throws -> (CommandResult, [String: Any]) {
        let result = try instance.runAgent(["join", "--no-configure", "--root", root.path, "--output", "json"])
        #expect(!result.stdout.contains(password) && !result.stderr.contains(password), "the join password was printed")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        return (result, json)
    }

    private func seamlessSecret() throws -> String {
        let value = String(
            decoding: try JSONSerialization.data(withJSONObject: [
                "awsSeamlessDomainUsername": lab.joinUser, "awsSeamlessDomainPassword": password,
            ]), as: UTF8.self)
        return try aws.putSecret(
            "aws/directory-services/d-0123456789/seamless-domain-join", value: value, role: centralRole, region: centralRegion)
    }

    /// The proxy's verdicts since `mark` (a count of verdicts taken before the run).
    private func verdicts(since mark: Int) throws -> [(operation: String, verdict: String, accessKeyId: String, region: String)] {
        Array(try aws.verdicts().dropFirst(mark))
    }

    @Test func eachMemberJoinsWithNoFlagsFromItsItemWithTheCentralRolesCredentials() throws {
        let memberA = "301234567890", memberB = "302345678901"
        // Member A: the blog's item exactly (plus the OU, a key adjoin knows); its password in a
        // SecureString parameter of the central account; pointer baked in /etc/default/adjoin.
        try aws.putParameter(
            "/adjoin/join-password", value: password + "\n", type: "SecureString", role: centralRole, region: centralRegion)
        try aws.putSettingsItem(
            table: table,
            item: [
                "accountId": ["S": memberA], "dnsName": ["S": lab.domain], "dnsIP1": ["S": lab.dcIP], "dnsIP2": ["S": lab.dcIP],
                "adJoinUserName": ["S": lab.joinUser], "adJoinUserPwParam": ["S": "/adjoin/join-password"],
                "organizationalUnit": ["S": lab.organizationalUnit],
            ], role: centralRole, region: centralRegion)
        // Member B: modern keys, user and password from the seamless-join secret, a DC that does not
        // exist replaced by the override for the instance's Region, status into the central table;
        // pointer in its own account's `adjoin` parameter (a String: it holds no secret).
        let secretARN = try seamlessSecret()
        try aws.putSettingsItem(
            table: table,
            item: [
                "accountId": ["S": memberB], "domain": ["S": lab.domain], "domainControllers": ["L": [["S": "192.0.2.1"]]],
                "joinPasswordSecret": ["S": secretARN], "organizationalUnit": ["S": lab.organizationalUnit],
                "statusTable": ["S": statusTable], "statusRegion": ["S": centralRegion], "statusRoleArn": ["S": centralRole],
                "regions": ["M": ["us-east-1": ["M": ["dnsIP1": ["S": lab.dcIP]]], "ap-south-1": ["M": ["dnsIP1": ["S": "192.0.2.2"]]]]],
            ], role: centralRole, region: centralRegion)
        try aws.putParameter(
            "adjoin",
            value: #"{"settingsTable": "\#(table)", "settingsRegion": "\#(centralRegion)", "settingsRoleArn": "\#(centralRole)"}"#,
            type: "String", role: "arn:aws:iam::\(memberB):role/fixture", region: "us-east-1")

        let a = try instance(account: memberA), b = try instance(account: memberB)
        defer { for host in [a, b] { try? admin.delete(host.hostname.uppercased() + "$") } }
        let scratchA = try rootPointingToTheTable(), scratchB = ScratchRoot("adjoin-root")
        defer { for scratch in [scratchA, scratchB] { scratch.remove() } }
        let rootA = scratchA.url, rootB = scratchB.url

        for (host, root, operations) in [
            (a, rootA, ["AmazonSSM.GetParameter"]), (b, rootB, ["secretsmanager.GetSecretValue", "DynamoDB_20120810.PutItem"]),
        ] {
            let mark = try aws.verdicts().count
            let (result, json) = try join(host, root: root)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(json["status"] as? String == "JOINED")
            let account = try #require(try admin.computer(host.hostname.uppercased() + "$"))
            #expect(account["info"] == ["adjoin-owner: \(host.instanceId) account=\(host.account) region=\(host.ec2.region)"])

            let run = try verdicts(since: mark)
            // The instance's own role only assumes the central role (B also reads its pointer parameter).
            let own = run.filter { $0.accessKeyId == host.accessKeyId }
            #expect(
                Set(own.map(\.operation)) == (host.instanceId == a.instanceId ? ["AssumeRole"] : ["AssumeRole", "AmazonSSM.GetParameter"]),
                "\(own)")
            // Everything else it did was signed by the central role's keys (those its AssumeRole got; other
            // suites write to the same log meanwhile, some of them refused on purpose), in the central
            // Region: the table (found only in the central account's backend), the secret or parameter, the status.
            let centralKeys = try aws.keysIssued(to: host.accessKeyId)
            #expect(!centralKeys.isEmpty)
            let central = run.filter { centralKeys.contains($0.accessKeyId) }
            #expect((own + central).allSatisfy { $0.verdict == "verified" }, "\(own + central)")
            #expect(central.allSatisfy { $0.region == centralRegion }, "\(central)")
            #expect(central.contains { $0.operation == "DynamoDB_20120810.GetItem" })
            for operation in operations { #expect(central.contains { $0.operation == operation }, "no \(operation) in \(central)") }
        }
        #expect(
            try aws.statusItem(table: statusTable, instanceId: b.instanceId, role: centralRole, region: centralRegion)?["accountId"]
                == memberB)

        // Leaving finds the same settings (the join recorded the parameter, which points to the table)
        // and reports where the join did.
        let left = try b.runAgent(["leave", "--root", rootB.path, "--output", "json"])
        #expect(left.status == 0, "\(left.stderr)")
        #expect(try admin.computer(b.hostname.uppercased() + "$") == nil)
        #expect(
            try aws.statusItem(table: statusTable, instanceId: b.instanceId, role: centralRole, region: centralRegion)?["status"]
                == "DETACHED")
    }

    /// The role that cannot be assumed, and the table that is not there, each say so.
    @Test func theRoleAndTheTableEachSayTheyFailed() throws {
        let member = "305678901234"
        let role = try aws.roleCredentials("arn:aws:iam::\(member):role/adjoin-instance")
        let host = try MemberInstance(account: member, role: role)
        let scratch = try rootPointingToTheTable()
        defer { scratch.remove() }
        let root = scratch.url
        // moto lets anyone assume any role: the proxy refuses as STS does when the trust policy does not allow it.
        try aws.failNext(
            operation: "AssumeRole", sessionToken: role.sessionToken, status: 403, code: "AccessDenied",
            message: "User: arn:aws:sts::\(member):assumed-role/adjoin-instance/x is not authorized to perform: sts:AssumeRole")
        let (refused, denied) = try join(host, root: root)
        #expect(refused.status == 10)
        let message = denied["message"] as? String ?? ""
        #expect(
            message.hasPrefix("central settings (/etc/default/adjoin): assuming the role \(centralRole)")
                && message.contains("AccessDenied"), "\(message)")
        #expect(!message.contains("not authorized"), "the service's own text is not repeated")

        try "ADJOIN_SETTINGS_TABLE=adjoin-no-such-table\nADJOIN_SETTINGS_REGION=\(centralRegion)\nADJOIN_SETTINGS_ROLE_ARN=\(centralRole)\n"
            .write(to: root.appendingPathComponent("etc/default/adjoin"), atomically: true, encoding: .utf8)
        let (missing, json) = try join(host, root: root)
        #expect(missing.status == 15)
        let text = json["message"] as? String ?? ""
        #expect(
            text.contains(
                "central settings table adjoin-no-such-table in \(centralRegion) (named in /etc/default/adjoin), read by the role \(centralRole)"
            )
                && text.contains("the table does not exist"), "\(text)")
    }

    @Test func aMemberWithoutAnItemIsToldSo() throws {
        let member = "303456789012"
        let host = try instance(account: member)
        let scratch = try rootPointingToTheTable()
        defer { scratch.remove() }
        let root = scratch.url
        let (result, json) = try join(host, root: root)
        #expect(result.status == 15)
        #expect(json["status"] as? String == "INVALID_INPUT")
        let message = json["message"] as? String ?? ""
        #expect(message.contains("no item for this account (accountId \(member))") && message.contains(table), "\(message)")
        #expect(try admin.computer(host.hostname.uppercased() + "$") == nil)
    }

    @Test func aSecretTheRoleMayNotReadIsRefusedNamingTheSecret() throws {
        let member = "304567890123"
        let secretARN = try seamlessSecret()
        try aws.putSettingsItem(
            table: table,
            item: [
                "accountId": ["S": member], "dnsName": ["S": lab.domain], "dnsIP1": ["S": lab.dcIP], "joinPasswordSecret": ["S": secretARN],
                "organizationalUnit": ["S": lab.organizationalUnit],
            ], role: centralRole, region: centralRegion)
        let scratch = try rootPointingToTheTable()
        defer { scratch.remove() }
        let root = scratch.url
        // moto enforces neither IAM nor the secret's resource policy nor KMS: the proxy answers as
        // Secrets Manager does when they refuse.
        let refusals = [
            (
                "is not authorized to perform: secretsmanager:GetSecretValue because no resource-based policy allows it",
                "was refused to the role \(centralRole)"
            ),
            ("Access to KMS is not allowed", "KMS refused to decrypt the Secrets Manager secret \(secretARN)"),
        ]
        for (reply, expected) in refusals {
            // Only this test's secret: the broker's suite reads secrets through the same proxy at the same time.
            try aws.failNext(
                operation: "secretsmanager.GetSecretValue", status: 400, code: "AccessDeniedException", message: reply,
                bodyContains: secretARN)
            let host = try instance(account: member)
            let (result, json) = try join(host, root: root)
            #expect(result.status == 10)
            #expect(json["status"] as? String == "ACCESS_DENIED")
            let message = json["message"] as? String ?? ""
            #expect(message.contains(secretARN) && message.contains(expected), "\(message)")
            #expect(try admin.computer(host.hostname.uppercased() + "$") == nil)
        }
        // A secret that does not exist: moto's own answer.
        let missing = "arn:aws:secretsmanager:\(centralRegion):\(Self.centralAccount):secret:adjoin/no-such-secret-AbCdEf"
        try aws.putSettingsItem(
            table: table,
            item: [
                "accountId": ["S": member], "dnsName": ["S": lab.domain], "joinPasswordSecret": ["S": missing],
            ], role: centralRole, region: centralRegion)
        let (result, json) = try join(try instance(account: member), root: root)
        #expect(result.status == 15)
        #expect((json["message"] as? String ?? "").contains("\(missing) does not exist in \(centralRegion)"), "\(json)")
    }

    /// A settings parameter named by ARN is read in the ARN's Region (as a parameter shared from
    /// another account is; moto keeps parameters per account, so this one is the instance's own).
    @Test func aSettingsParameterByARNIsReadInItsOwnRegion() throws {
        let host = try EC2Instance(hostname: "ip-10-7-\(Int.random(in: 0...255))-\(Int.random(in: 0...255))", tags: [:], tagsExposed: true)
        defer { try? admin.delete(host.hostname.uppercased() + "$") }
        let name = "/adjoin-test/shared-" + UUID().uuidString
        let arn = "arn:aws:ssm:us-west-2:123456789012:parameter" + name
        try aws.putParameter(name + "-password", value: password, type: "SecureString", role: "", region: "us-west-2")
        let settings =
            #"{"domain": "\#(lab.domain)", "domainControllers": ["\#(lab.dcIP)"], "joinUser": "\#(lab.joinUser)", "#
            + #""organizationalUnit": "\#(lab.organizationalUnit)", "joinPasswordParameter": "\#(arn)-password"}"#
        try aws.putParameter(name, value: settings, type: "SecureString", role: "", region: "us-west-2")
        let scratch = ScratchRoot("adjoin-root")
        defer { scratch.remove() }
        let root = scratch.url
        let result = try host.runAgent(["join", "--parameter", arn, "--no-configure", "--root", root.path, "--output", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let reads = try aws.verdicts().filter { $0.accessKeyId == host.accessKeyId && $0.operation == "AmazonSSM.GetParameter" }
        #expect(reads.count == 2 && reads.allSatisfy { $0.region == "us-west-2" && $0.verdict == "verified" }, "\(reads)")
    }
}

extension CentralSettingsIntegrationTests {
    /// The per-account parameter may name a secret too: read with the instance's own role, in its
    /// Region; a secret that is not JSON is the password itself.
    @Test func aPerAccountParameterNamesAPlainSecret() throws {
        let host = try EC2Instance(hostname: "ip-10-5-\(Int.random(in: 0...255))-\(Int.random(in: 0...255))", tags: [:], tagsExposed: true)
        defer { try? admin.delete(host.hostname.uppercased() + "$") }
        let secret = "adjoin-test/plain-" + UUID().uuidString
        _ = try aws.putSecret(secret, value: password + "\n", role: "", region: "us-east-1")
        let name = "/adjoin-test/secret-" + UUID().uuidString
        try aws.putParameter(
            name,
            value: #"{"domain": "\#(lab.domain)", "domainControllers": ["\#(lab.dcIP)"], "joinUser": "\#(lab.joinUser)", "#
                + #""organizationalUnit": "\#(lab.organizationalUnit)", "joinPasswordSecret": "\#(secret)"}"#,
            type: "SecureString", role: "", region: "us-east-1")
        let scratch = ScratchRoot("adjoin-root")
        defer { scratch.remove() }
        let root = scratch.url
        let result = try host.runAgent(["join", "--parameter", name, "--no-configure", "--root", root.path, "--output", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains(password) && !result.stderr.contains(password))
        #expect(try admin.computer(host.hostname.uppercased() + "$") != nil)
        #expect(try host.verdicts().map(\.operation) == ["AmazonSSM.GetParameter", "secretsmanager.GetSecretValue"])
    }
}

/// An instance of a member account: the lab's EC2 instance whose metadata names that account and hands
/// out that account's role keys (moto files each request under the account its key belongs to).
struct MemberInstance {
    let ec2: EC2Instance
    let role: RoleCredentials
    let account: String
    var accessKeyId: String { role.accessKeyId }
    var instanceId: String { ec2.instanceId }
    var hostname: String { ec2.hostname }

    init(account: String, role: RoleCredentials) throws {
        ec2 = try EC2Instance(hostname: "ip-10-8-\(Int.random(in: 0...255))-\(Int.random(in: 0...255))", tags: [:], tagsExposed: true)
        self.role = role
        self.account = account
        try ec2.setMetadata("accountId", account)
        try ec2.setMetadata(
            "credentials", ["accessKeyId": role.accessKeyId, "secretAccessKey": role.secretAccessKey, "token": role.sessionToken])
    }

    func runAgent(_ arguments: [String]) throws -> CommandResult { try ec2.runAgent(arguments) }
}
