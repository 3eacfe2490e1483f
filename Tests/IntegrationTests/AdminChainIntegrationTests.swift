import AdjoinCore
import Foundation
import TestSupport
import Testing

/// The admin commands from outside any instance, as from a workstation, a CI runner or a container:
/// `sweep` (dry run) and a remote `leave --parameter`, with their AWS credentials from each source of the
/// SDKs' chain in turn, against the lab's moto behind the SigV4-checking proxy (every signature verified by
/// botocore). Instance metadata points at a listener of the test's own that must never see a connection.
@Suite(.serialized, .needsLab) struct AdminChainIntegrationTests {
    let lab: Lab
    let aws: AWSFixture
    let admin: AdminDirectory
    let table = "adjoin-admin-" + UUID().uuidString.prefix(8).lowercased()

    init() throws {
        lab = try Lab.current()
        aws = try AWSFixture.current()
        admin = AdminDirectory(lab: lab)
        try aws.createStatusTable(table)
    }

    /// A workstation: a home directory of its own, and instance metadata at a loopback port that counts
    /// the connections it is offered (it answers none).
    final class Workstation {
        private let scratch = ScratchRoot("adjoin-workstation")
        var home: URL { scratch.url }
        private let contacts = Locked(0)
        private let silentMetadata: LoopbackTCPServer

        init() throws {
            try FileManager.default.createDirectory(
                at: scratch.url.appendingPathComponent(".aws/sso/cache"), withIntermediateDirectories: true)
            let contacts = self.contacts
            silentMetadata = try LoopbackTCPServer { _, _ in contacts.withLock { $0 += 1 } }
        }

        var metadataContacts: Int { contacts.withLock { $0 } }

        func write(_ relative: String, _ text: String, mode: Int = 0o600) throws {
            let path = home.appendingPathComponent(relative).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        }

        /// The agent with exactly this environment: nothing of the test runner's (no lab keys, no Region
        /// unless given), every AWS service through the checking proxy.
        func run(_ arguments: [String], _ variables: [String: String]) throws -> CommandResult {
            let process = Process()
            process.executableURL = Lab.agentBinary
            process.arguments = arguments
            process.environment = [
                "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": home.path,
                "AWS_ENDPOINT_URL": try AWSFixture.current().proxyEndpoint,
                "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(silentMetadata.port)",
            ].merging(variables) { $1 }
            try requireLoopbackMetadata(process.environment ?? [:])
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let outData = out.fileHandleForReading.readDataToEndOfFile()
            let errData = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return CommandResult(
                status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                stderr: String(decoding: errData, as: UTF8.self))
        }
    }

    /// The ECS endpoint's or the SSO portal's double (scripts/lab-support/credential_doubles.py), on a
    /// port of its own, handing out keys the proxy knows; its log says which requests it answered how.
    final class CredentialDouble {
        let port: Int
        let tokenFile: URL
        /// The double's files, removed once it is stopped (deinit kills it first).
        private let scratch: ScratchRoot
        private let process = Process()
        private let log: URL

        init(mode: String, token: String, keys: Keys) throws {
            scratch = ScratchRoot("adjoin-double")
            let directory = scratch.url
            tokenFile = directory.appendingPathComponent("token")
            try token.write(to: tokenFile, atomically: true, encoding: .utf8)
            let credentials = directory.appendingPathComponent("credentials.json")
            try JSONSerialization.data(withJSONObject: ["accessKeyId": keys.id, "secretAccessKey": keys.secret, "sessionToken": keys.token])
                .write(to: credentials)
            log = directory.appendingPathComponent("requests.log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", "-u", LabEnvironment.support("credential_doubles.py").path, "--mode", mode,
                "--token-file", tokenFile.path, "--credentials", credentials.path,
            ]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
            var line = Data()
            while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
            port = try #require(Int(String(decoding: line, as: UTF8.self)), "the credential double printed no port")
        }

        deinit {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        /// "GET /federation/credentials 200", ... in order.
        func requests() throws -> [String] {
            try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init)
        }
    }

    struct Keys {
        let id: String
        let secret: String
        let token: String
    }

    /// Fresh keys the proxy knows (moto files them under its default account, 123456789012).
    func registeredKeys(prefix: String = "ASIA") throws -> Keys {
        let keys = Keys(
            id: prefix + EC2Instance.random(16, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
            secret: EC2Instance.random(40, alphabet: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
            token: "token-" + UUID().uuidString)
        try aws.registerKey(keys.id, secret: keys.secret)
        return keys
    }

    // MARK: - the fixtures of one run

    struct Place {
        let ou: String
        let parameter: String
        let running: (name: String, id: String)
        let terminated: (name: String, id: String)
        let leaver: (name: String, id: String)
    }

    private func makePlace() throws -> Place {
        let ou = "OU=admin-\(UUID().uuidString.prefix(8).lowercased()),\(lab.organizationalUnit)"
        try ldapAdd("dn: \(ou)\nobjectClass: organizationalUnit\n\n")
        let ids = try aws.boto3(
            """
            ec2 = client('ec2', 'us-east-1')
            run = ec2.run_instances(ImageId='ami-12c6146b', MinCount=2, MaxCount=2)
            ids = [i['InstanceId'] for i in run['Instances']]
            ec2.terminate_instances(InstanceIds=[ids[1]])
            print(' '.join(ids))
            """
        ).split(separator: " ").map(String.init)
        func name() -> String { "A" + String(UInt32.random(in: 0...UInt32.max), radix: 36).uppercased() }
        let place = Place(
            ou: ou, parameter: "/adjoin-admin/" + UUID().uuidString, running: (name(), ids[0]), terminated: (name(), ids[1]),
            leaver: (name(), EC2Instance.randomInstanceId()))
        for account in [place.running, place.terminated] { try addMarkedAccount(account.name, owner: account.id, in: ou) }
        let settings: [String: Any] = [
            "domain": lab.domain, "domainControllers": [lab.dcIP], "joinUser": lab.joinUser,
            "joinPassword": String(decoding: try lab.joinPassword(), as: UTF8.self), "statusTable": table,
        ]
        try aws.putSecureString(
            place.parameter, value: String(decoding: try JSONSerialization.data(withJSONObject: settings), as: UTF8.self))
        return place
    }

    private func ldapAdd(_ ldif: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("admin-\(UUID().uuidString).ldif")
        try ldif.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try admin.tool("ldapadd", ["-f", file.path])
        try #require(result.status == 0, "ldapadd: \(result.stderr)")
    }

    /// An account as a join in moto's default account and us-east-1 leaves it (its marker names both).
    private func addMarkedAccount(_ name: String, owner: String, in ou: String) throws {
        try ldapAdd(
            """
            dn: CN=\(name),\(ou)
            objectClass: computer
            sAMAccountName: \(name)$
            userAccountControl: 4096
            info: adjoin-owner: \(owner) account=123456789012 region=us-east-1

            """)
    }

    /// Sweep (dry run) and a remote leave from the workstation with `variables`; both must work, every
    /// request signed with `keyIds` verified, the operations each needs made with them, and instance
    /// metadata never contacted. Returns the verdicts on the run's keys.
    @discardableResult
    private func adminRuns(
        _ workstation: Workstation, _ variables: [String: String], keyIds: () throws -> Set<String>,
        sourceLabel: String, apply: Bool = false
    ) throws -> [(operation: String, verdict: String, accessKeyId: String, region: String)] {
        let place = try makePlace()
        defer { _ = try? admin.tool("ldapdelete", ["-r", place.ou]) }
        let sweep = try workstation.run(
            ["sweep", "--parameter", place.parameter, "--ou", place.ou, "--timeout", "60", "--output", "json"], variables)
        #expect(sweep.status == Status.swept.exitCode, "\(sweep.stdout) \(sweep.stderr)")
        #expect(sweep.stderr.contains("AWS credentials from \(sourceLabel)"), "\(sweep.stderr)")
        #expect(sweep.stderr.contains("in the AWS account 123456789012"), "\(sweep.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(sweep.stdout.utf8)) as? [String: Any] ?? [:]
        var actions: [String: String] = [:]
        for account in json["accounts"] as? [[String: Any]] ?? [] {
            actions[account["instanceId"] as? String ?? "?"] = account["action"] as? String
        }
        #expect(actions == [place.running.id: "keep", place.terminated.id: "delete"], "\(sweep.stdout)")
        #expect(try admin.computer(place.terminated.name + "$") != nil, "a dry run deleted")
        if apply {
            // The sweep's own status write, from outside an instance: DETACHED in the settings' table.
            let applied = try workstation.run(
                ["sweep", "--parameter", place.parameter, "--ou", place.ou, "--apply", "--output", "json"], variables)
            #expect(applied.status == Status.swept.exitCode, "\(applied.stdout) \(applied.stderr)")
            #expect(try admin.computer(place.terminated.name + "$") == nil, "--apply left the terminated instance's account")
            #expect(try admin.computer(place.running.name + "$") != nil)
            let item = try aws.statusItem(table: table, instanceId: place.terminated.id)
            #expect(item?["status"] == "DETACHED" && item?["message"]?.contains("terminated") == true, "\(String(describing: item))")
        }

        try addMarkedAccount(place.leaver.name, owner: place.leaver.id, in: place.ou)
        let leave = try workstation.run(
            [
                "leave", "--instance-id", place.leaver.id, "--parameter", place.parameter, "--timeout", "60",
                "--output", "json",
            ], variables)
        #expect(leave.status == 0, "\(leave.stdout) \(leave.stderr)")
        #expect(try admin.computer(place.leaver.name + "$") == nil, "the remote leave left the account")
        let item = try aws.statusItem(table: table, instanceId: place.leaver.id)
        #expect(item?["status"] == "DETACHED", "\(String(describing: item))")
        let password = String(decoding: try lab.joinPassword(), as: UTF8.self)
        for output in [sweep.stdout, sweep.stderr, leave.stdout, leave.stderr] {
            #expect(!output.contains(password), "the password was printed")
        }

        let ids = try keyIds()
        let verdicts = try aws.verdicts().filter { ids.contains($0.accessKeyId) }
        #expect(!verdicts.isEmpty && verdicts.allSatisfy { $0.verdict == "verified" }, "\(verdicts)")
        let operations = verdicts.map(\.operation)
        for needed in ["GetCallerIdentity", "AmazonSSM.GetParameter", "DescribeInstances", "DynamoDB_20120810.PutItem"] {
            #expect(operations.contains(needed), "\(needed) not signed with the chain's keys: \(operations)")
        }
        #expect(workstation.metadataContacts == 0, "instance metadata was contacted")
        return verdicts
    }

    // MARK: - each source

    @Test func aSharedCredentialsFileProfile() throws {
        let workstation = try Workstation()
        let keys = try registeredKeys(prefix: "AKIA")
        try workstation.write(".aws/credentials", "[ops]\naws_access_key_id = \(keys.id)\naws_secret_access_key = \(keys.secret)\n")
        // No AWS_REGION: the profile's region.
        try workstation.write(".aws/config", "[profile ops]\nregion = us-east-1\n")
        try adminRuns(
            workstation, ["AWS_PROFILE": "ops"], keyIds: { [keys.id] },
            sourceLabel: "profile ops (static keys)", apply: true)
    }

    @Test func aRoleAssumedFromASourceProfile() throws {
        let workstation = try Workstation()
        let base = try registeredKeys(prefix: "AKIA")
        try workstation.write(".aws/credentials", "[base]\naws_access_key_id = \(base.id)\naws_secret_access_key = \(base.secret)\n")
        try workstation.write(
            ".aws/config",
            """
            [profile admin]
            role_arn = arn:aws:iam::123456789012:role/adjoin-admin
            source_profile = base
            role_session_name = alice
            """)
        let verdicts = try adminRuns(
            workstation, ["AWS_PROFILE": "admin", "AWS_REGION": "us-east-1"],
            keyIds: { try aws.keysIssued(to: base.id).union([base.id]) },
            sourceLabel: "profile admin (role_arn arn:aws:iam::123456789012:role/adjoin-admin)")
        // The source profile's keys only assume the role; everything else is signed with the role's.
        let issued = try aws.keysIssued(to: base.id)
        #expect(!issued.isEmpty)
        #expect(verdicts.filter { $0.accessKeyId == base.id }.allSatisfy { $0.operation == "AssumeRole" })
        #expect(verdicts.contains { $0.accessKeyId == base.id && $0.operation == "AssumeRole" })
        #expect(verdicts.filter { $0.operation == "DescribeInstances" }.allSatisfy { issued.contains($0.accessKeyId) })
    }

    @Test func aCredentialProcess() throws {
        let workstation = try Workstation()
        let keys = try registeredKeys()
        // As `aws configure export-credentials --format process` prints them.
        try workstation.write(
            "export-credentials",
            """
            #!/bin/sh
            [ "$1" = "--profile" ] && [ "$2" = "my sso" ] || exit 3
            printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "SessionToken": "%s", "Expiration": "2099-01-01T00:00:00Z"}\\n' \
                '\(keys.id)' '\(keys.secret)' '\(keys.token)'
            """, mode: 0o700)
        try workstation.write(
            ".aws/config", "[default]\ncredential_process = \(workstation.home.path)/export-credentials --profile \"my sso\"\n")
        try adminRuns(workstation, ["AWS_REGION": "us-east-1"], keyIds: { [keys.id] }, sourceLabel: "profile default (credential_process)")
    }

    @Test func containerCredentials() throws {
        let workstation = try Workstation()
        let keys = try registeredKeys()
        let token = "container-token-" + UUID().uuidString
        let double = try CredentialDouble(mode: "ecs", token: token, keys: keys)
        let uri = "http://127.0.0.1:\(double.port)/v2/credentials/adjoin-test"
        try adminRuns(
            workstation,
            ["AWS_REGION": "us-east-1", "AWS_CONTAINER_CREDENTIALS_FULL_URI": uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN": token],
            keyIds: { [keys.id] }, sourceLabel: "the container credentials endpoint \(uri)")
        #expect(try double.requests().allSatisfy { $0.hasSuffix(" 200") } && !(try double.requests().isEmpty))
        // Without the token the endpoint refuses, and so does the command; metadata is not asked instead.
        let place = try makePlace()
        defer { _ = try? admin.tool("ldapdelete", ["-r", place.ou]) }
        let refused = try workstation.run(
            ["sweep", "--parameter", place.parameter, "--ou", place.ou, "--output", "json"],
            ["AWS_REGION": "us-east-1", "AWS_CONTAINER_CREDENTIALS_FULL_URI": uri])
        #expect(refused.status == Status.accessDenied.exitCode, "\(refused.stdout) \(refused.stderr)")
        #expect(try double.requests().last == "GET /v2/credentials/adjoin-test 401")
        #expect(workstation.metadataContacts == 0)
    }

    @Test func anSSOProfile() throws {
        let workstation = try Workstation()
        let keys = try registeredKeys()
        let token = "sso-access-token-" + UUID().uuidString
        let double = try CredentialDouble(mode: "sso", token: token, keys: keys)
        try workstation.write(
            ".aws/config",
            """
            [profile dev]
            sso_session = corp
            sso_account_id = 123456789012
            sso_role_name = AdjoinAdmin
            region = us-east-1
            [sso-session corp]
            sso_start_url = https://corp.awsapps.com/start
            sso_region = eu-central-1
            """)
        let cache = ".aws/sso/cache/" + SHA1.hash(Array("corp".utf8)).hexString + ".json"
        func cacheToken(_ value: String, expiresAt: String) throws {
            try workstation.write(
                cache,
                #"{"startUrl": "https://corp.awsapps.com/start", "region": "eu-central-1", "accessToken": "\#(value)", "expiresAt": "\#(expiresAt)"}"#
            )
        }
        try cacheToken(token, expiresAt: "2099-01-01T00:00:00Z")
        let variables = ["AWS_PROFILE": "dev", "AWS_ENDPOINT_URL_SSO": "http://127.0.0.1:\(double.port)"]
        try adminRuns(workstation, variables, keyIds: { [keys.id] }, sourceLabel: "profile dev (sso)")
        let answered = try double.requests()
        #expect(!answered.isEmpty && answered.allSatisfy { $0 == "GET /federation/credentials 200" }, "\(answered)")

        let place = try makePlace()
        defer { _ = try? admin.tool("ldapdelete", ["-r", place.ou]) }
        let sweep = ["sweep", "--parameter", place.parameter, "--ou", place.ou, "--output", "json"]
        // An expired token: refused before the portal is asked, with the command that renews it.
        try cacheToken(token, expiresAt: "2020-01-01T00:00:00Z")
        let expired = try workstation.run(sweep, variables)
        #expect(expired.status == Status.accessDenied.exitCode, "\(expired.stdout) \(expired.stderr)")
        #expect((expired.stdout + expired.stderr).contains("aws sso login --profile dev"), "\(expired.stdout) \(expired.stderr)")
        #expect(try double.requests().count == answered.count, "the portal was asked with an expired token")
        // A token the portal does not know (a session ended early): the portal's 401 is ACCESS_DENIED too.
        try cacheToken("not-the-portals-token", expiresAt: "2099-01-01T00:00:00Z")
        let unknown = try workstation.run(sweep, variables)
        #expect(unknown.status == Status.accessDenied.exitCode, "\(unknown.stdout) \(unknown.stderr)")
        #expect(try double.requests().last == "GET /federation/credentials 401")
        for output in [expired, unknown].flatMap({ [$0.stdout, $0.stderr] }) { #expect(!output.contains(token)) }
        #expect(workstation.metadataContacts == 0)
    }
}
