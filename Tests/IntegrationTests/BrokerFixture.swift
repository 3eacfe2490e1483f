import AdjoinCore
import Foundation
import TestSupport
import Testing

/// The broker as it runs on AWS, in the lab: `adjoin broker` (the real runtime loop) behind the lab's
/// stand-ins for the Lambda Runtime API and the function URL (scripts/lab-support/lambda_standins.py,
/// which verifies every signature with botocore and names the caller from moto's STS), with its own
/// role in the central account, the central settings table holding the member account's item, and the
/// join password in a Secrets Manager secret only the broker's account holds. Every AWS call the broker
/// makes goes through the lab's checking proxy.
final class BrokerFixture {
    static let centralAccount = "444455556666"
    static let memberAccount = "210987654321"
    static let region = "us-east-1"
    static let brokerRole = "arn:aws:iam::\(centralAccount):role/adjoin-broker"
    let url: String
    let table = "adjoin-broker-settings-" + UUID().uuidString.prefix(8).lowercased()
    let directory: URL
    let brokerLog: URL
    let urlLog: URL
    let responses: URL
    private let standIns = Process()
    private let broker = Process()
    let brokerKey: String
    let runtimePort: Int

    /// The computer name the instance's own join would give it, and the broker too (a label over 15 characters
    /// is shortened with a hash).
    static func computerName(of instance: EC2Instance, in lab: Lab) -> String {
        (try? ComputerName(hostFQDN: instance.hostname + "." + lab.domain).value) ?? "?"
    }

    init(brokerRoles: [String] = []) throws {
        let lab = try Lab.current()
        let aws = try AWSFixture.current()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("adjoin-broker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        brokerLog = directory.appendingPathComponent("broker.log")
        urlLog = directory.appendingPathComponent("function-url.jsonl")
        responses = directory.appendingPathComponent("responses")
        // The central account: the settings table, the member's item, the join password as a secret.
        try aws.createTable(table, key: "accountId", role: Self.brokerRole, region: Self.region)
        let secret = try aws.putSecret(
            "adjoin/broker-join-" + UUID().uuidString.prefix(8), value: String(decoding: try lab.joinPassword(), as: UTF8.self),
            role: Self.brokerRole, region: Self.region)
        var item: [String: Any] = [
            "accountId": ["S": Self.memberAccount], "domain": ["S": lab.domain], "domainControllers": ["L": [["S": lab.dcIP]]],
            "joinUser": ["S": lab.joinUser], "joinPasswordSecret": ["S": secret], "organizationalUnit": ["S": lab.organizationalUnit],
        ]
        if !brokerRoles.isEmpty { item["brokerRoles"] = ["L": brokerRoles.map { ["S": $0] }] }
        try aws.putSettingsItem(table: table, item: item, role: Self.brokerRole, region: Self.region)

        standIns.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        standIns.arguments = [
            "python3", "-u", LabEnvironment.support("lambda_standins.py").path, "--keys", aws.keysFile,
            "--imds-state", lab.imdsState, "--moto", lab.motoEndpoint, "--log", urlLog.path, "--responses", responses.path,
        ]
        let out = Pipe()
        standIns.standardOutput = out
        standIns.standardError = try FileHandle(forWritingTo: Self.create(directory.appendingPathComponent("standins.log")))
        try standIns.run()
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
        let ports = String(decoding: line, as: UTF8.self).split(separator: " ").compactMap { Int($0) }
        guard ports.count == 2 else { throw AdminError(message: "the Lambda stand-ins printed no ports") }
        url = "http://127.0.0.1:\(ports[1])"
        runtimePort = ports[0]

        let credentials = try aws.roleCredentials(Self.brokerRole)
        brokerKey = credentials.accessKeyId
        broker.executableURL = Lab.agentBinary
        broker.arguments = ["broker"]
        broker.environment = [
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:\(ports[0])", "AWS_REGION": Self.region,
            "AWS_ACCESS_KEY_ID": credentials.accessKeyId, "AWS_SECRET_ACCESS_KEY": credentials.secretAccessKey,
            "AWS_SESSION_TOKEN": credentials.sessionToken, "AWS_ENDPOINT_URL": aws.proxyEndpoint,
            "ADJOIN_BROKER_SETTINGS": "arn:aws:dynamodb:\(Self.region):\(Self.centralAccount):table/\(table)",
            "ADJOIN_BROKER_MEMBER_ROLE": "adjoin-broker-member",
        ]
        broker.standardOutput = FileHandle.nullDevice
        broker.standardError = try FileHandle(forWritingTo: Self.create(brokerLog))
        try broker.run()
    }

    private static func create(_ url: URL) throws -> URL {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        return url
    }

    deinit {
        for process in [broker, standIns] where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// A running instance in `account` (moto's EC2), with these tags, and its instance profile's credentials:
    /// a role session named after the instance, as EC2 names it.
    func launch(
        account: String = BrokerFixture.memberAccount, role: String = "web-role", tags: [String: String],
        tagsExposed: Bool = true
    ) throws -> EC2Instance {
        let aws = try AWSFixture.current()
        let launched = try aws.boto3(
            """
            ec2 = client('ec2', 'us-east-1', role='arn:aws:iam::' + sys.argv[1] + ':role/fixture')
            instance = ec2.run_instances(ImageId='ami-12c6146b', MinCount=1, MaxCount=1)['Instances'][0]
            tags = json.loads(sys.argv[2])
            if tags: ec2.create_tags(Resources=[instance['InstanceId']], Tags=[{'Key': k, 'Value': v} for k, v in tags.items()])
            print(instance['InstanceId'], instance['PrivateDnsName'])
            """, [account, String(decoding: try JSONSerialization.data(withJSONObject: tags), as: UTF8.self)]
        ).split(separator: " ").map(String.init)
        let credentials = try session(account: account, role: role, name: launched[0])
        return try EC2Instance(
            instanceId: launched[0], hostname: String(launched[1].split(separator: ".")[0]), tags: tags, tagsExposed: tagsExposed,
            accountId: account, roleCredentials: (credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken))
    }

    /// Credentials of a session of `role` named `name`, registered with the lab's verifiers.
    func session(account: String, role: String, name: String) throws -> RoleCredentials {
        let answer = try AWSFixtures.call("assume_role", ["role": "arn:aws:iam::\(account):role/\(role)", "session": name])
        guard let c = answer as? [String: String], let id = c["accessKeyId"], let secret = c["secretAccessKey"],
            let token = c["sessionToken"]
        else {
            throw AdminError(message: "moto's AssumeRole gave no credentials")
        }
        try AWSFixture.current().registerKey(id, secret: secret)
        return RoleCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token)
    }

    /// A POST /join signed (by botocore) with these keys, its X-Amz-Date `age` seconds old: (HTTP status, body).
    func post(
        accessKeyId: String, secret: String, token: String?, age: Int = 0, body: String = "{}"
    ) throws -> (status: Int, body: [String: Any]) {
        var request: [String: Any] = ["url": url, "body": body, "accessKeyId": accessKeyId, "secretAccessKey": secret, "ageSeconds": age]
        if let token { request["sessionToken"] = token }
        let script = LabEnvironment.support("lambda_standins.py")
        let input = directory.appendingPathComponent("request-\(UUID().uuidString)")
        try JSONSerialization.data(withJSONObject: request).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let result = try run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, "sign-and-post"], stdin: input)
        guard result.status == 0, let reply = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            let status = reply["status"] as? Int
        else { throw AdminError(message: "sign-and-post failed: \(result.stderr)") }
        let body = (try? JSONSerialization.jsonObject(with: Data(((reply["body"] as? String) ?? "").utf8)) as? [String: Any]) ?? [:]
        return (status, body)
    }

    /// The one-time passwords the broker answered with (from the stand-in's test-only record of bodies).
    func oneTimePasswords() throws -> [String] {
        guard let text = try? String(contentsOf: responses, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["oneTimePassword"] as? String
        }
    }

    func brokerLogText() throws -> String { try String(contentsOf: brokerLog, encoding: .utf8) }

    /// EC2's state-change event for `instanceId`, invoked directly on the function as an EventBridge rule does: its result.
    func stateChange(_ instanceId: String, state: String, account: String = BrokerFixture.memberAccount) throws -> [String: Any] {
        let event: [String: Any] = [
            "version": "0", "id": UUID().uuidString, "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
            "account": account, "time": "2026-12-07T10:00:00Z", "region": Self.region,
            "resources": ["arn:aws:ec2:\(Self.region):\(account):instance/\(instanceId)"],
            "detail": ["instance-id": instanceId, "state": state],
        ]
        let input = directory.appendingPathComponent("event-\(UUID().uuidString)")
        try JSONSerialization.data(withJSONObject: event).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let post =
            "import sys, urllib.request\ntry:\n    print(urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.stdin.buffer.read(), method='POST'), timeout=60).read().decode())\n"
            + "except urllib.error.HTTPError as error:\n    print(error.read().decode())\n"
        let result = try run(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", post, "http://127.0.0.1:\(runtimePort)/adjoin-lab/invoke"], stdin: input
        )
        return (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]) ?? ["unreadable": result.stdout]
    }
}
