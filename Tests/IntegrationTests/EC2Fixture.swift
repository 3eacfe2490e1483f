import AdjoinCore
import Foundation
import TestSupport
import Testing

/// An EC2 instance as the agent sees it from inside, for tests of the agent's AWS path: its own
/// IMDSv2 emulator (scripts/lab-support/imds.py on an ephemeral port) with role credentials that
/// only it uses, registered with the lab's signature-checking proxy so that every request signed
/// with them is verified by botocore and can be told apart from other tests' requests.
final class EC2Instance {
    let instanceId: String
    let hostname: String
    let accountId: String
    let region: String
    let accessKeyId: String
    /// The role credentials' session token, by which the proxy can be told to fail this instance's calls.
    let sessionToken: String
    let metadataEndpoint: String
    private let emulator = Process()
    private let directory: URL
    private var statePath: URL { directory.appendingPathComponent("state.json") }

    /// `roleCredentials`: keys moto issued in the instance's account (an AssumeRole there), so that its
    /// calls land in that account; by default random keys, which moto files under its default account.
    init(
        instanceId: String = EC2Instance.randomInstanceId(), hostname: String, tags: [String: String], tagsExposed: Bool,
        accountId: String = "210987654321", region: String = "us-east-1",
        roleCredentials: (accessKeyId: String, secret: String, token: String)? = nil,
        metadataHost: String = "127.0.0.1", extraState: [String: Any] = [:]
    ) throws {
        self.instanceId = instanceId
        self.hostname = hostname
        self.accountId = accountId
        self.region = region
        let fixture = try AWSFixture.current()
        accessKeyId = roleCredentials?.accessKeyId ?? "ASIA" + EC2Instance.random(16, alphabet: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        sessionToken = roleCredentials?.token ?? "token-" + UUID().uuidString
        let secret =
            roleCredentials?.secret ?? EC2Instance.random(40, alphabet: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        try fixture.registerKey(accessKeyId, secret: secret)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("adjoin-ec2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var state: [String: Any] = [
            "instanceId": instanceId, "accountId": accountId, "region": region, "availabilityZone": region + "b",
            "hostname": hostname + ".ec2.internal", "localHostname": hostname + ".ec2.internal", "tags": tags, "tagsExposed": tagsExposed,
            "roleName": "adjoin-test-role",
            "credentials": ["accessKeyId": accessKeyId, "secretAccessKey": secret, "token": sessionToken],
        ]
        state.merge(extraState) { $1 }
        let statePath = directory.appendingPathComponent("state.json")
        try JSONSerialization.data(withJSONObject: state).write(to: statePath)
        emulator.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        emulator.arguments = [
            "python3", "-u", LabEnvironment.support("imds.py").path,
            "--host", metadataHost, "--port", "0", "--state", statePath.path,
        ]
        let out = Pipe()
        emulator.standardOutput = out
        let log = directory.appendingPathComponent("imds.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        emulator.standardError = try FileHandle(forWritingTo: log)
        try emulator.run()
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
        let port = try #require(Int(String(decoding: line, as: UTF8.self)), "the IMDS emulator printed no port")
        metadataEndpoint = metadataHost.contains(":") ? "http://[\(metadataHost)]:\(port)" : "http://\(metadataHost):\(port)"
    }

    deinit {
        // SIGKILL: the test runner's threads block SIGTERM, and a child started from one inherits that mask.
        kill(emulator.processIdentifier, SIGKILL)
        emulator.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The requests the emulator has answered so far, in order: "PUT /latest/api/token 200", ...
    func metadataRequests() throws -> [String] {
        imdsRequests(inLog: try String(contentsOf: directory.appendingPathComponent("imds.log"), encoding: .utf8))
    }

    /// Changes what metadata says (the emulator re-reads its state on every request).
    func setMetadata(_ key: String, _ value: Any?) throws {
        var state = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: statePath)) as? [String: Any])
        state[key] = value ?? NSNull()
        try JSONSerialization.data(withJSONObject: state).write(to: statePath, options: .atomic)
    }

    /// Runs the agent as on this instance: only the endpoint variables set (metadata, and every AWS
    /// service through the checking proxy); no keys and no region, so both come from metadata.
    func runAgent(_ arguments: [String], stdin: URL? = nil) throws -> CommandResult {
        let fixture = try AWSFixture.current()
        let process = Process()
        process.executableURL = Lab.agentBinary
        process.arguments = arguments
        process.environment = [
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "AWS_EC2_METADATA_SERVICE_ENDPOINT": metadataEndpoint,
            "AWS_ENDPOINT_URL": fixture.proxyEndpoint,
        ]
        try requireLoopbackMetadata(process.environment ?? [:])
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = try stdin.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Makes the proxy answer this instance's next calls of `operation` with these errors (HTTP status, code).
    func failNext(_ operation: String, _ failures: [(status: Int, code: String)]) throws {
        try planProxyFailures(
            proxyEndpoint: try AWSFixture.current().proxyEndpoint,
            tokenDigest: String(SHA256.hash(Array(sessionToken.utf8)).hexString.prefix(16)),
            operation: operation, failures: failures)
    }

    /// The proxy's verdicts on the requests signed with this instance's role credentials:
    /// (operation, verdict) in order.
    func verdicts() throws -> [(operation: String, verdict: String)] {
        try AWSFixture.current().verdicts().filter { $0.accessKeyId == accessKeyId }.map { ($0.operation, $0.verdict) }
    }

    static func randomInstanceId() -> String { "i-0" + random(16, alphabet: "0123456789abcdef") }

    static func random(_ count: Int, alphabet: String) -> String {
        let characters = Array(alphabet)
        return String((0..<count).map { _ in characters.randomElement()! })
    }
}

/// The lab's moto (fixtures are set up there directly, by scripts/lab-support/aws_fixtures.py) and the
/// checking proxy in front of it (the agent's only way in).
struct AWSFixture {
    let proxyEndpoint: String
    let keysFile: String
    let verdictLog: String

    static func current() throws -> AWSFixture {
        let lab = try LabEnvironment.current()
        return AWSFixture(proxyEndpoint: lab.awsEndpoint, keysFile: lab.awsKeysFile, verdictLog: lab.sigV4Log)
    }

    /// Tells the proxy a key's secret (it re-reads the file on each request); written atomically, and
    /// under a lock, since suites running at once register keys at once and a lost update loses a key.
    func registerKey(_ accessKeyId: String, secret: String) throws {
        let lock = open(keysFile + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lock >= 0, flock(lock, LOCK_EX) == 0 else { throw AdminError(message: "cannot lock \(keysFile).lock") }
        defer { close(lock) }
        let url = URL(fileURLWithPath: keysFile)
        var keys = (try? JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: String]) ?? [:]
        keys[accessKeyId] = secret
        try JSONSerialization.data(withJSONObject: keys).write(to: url, options: .atomic)
    }

    /// Runs Python with boto3 against moto directly, with the fixtures' `client(name, region, role)`, for
    /// what only one test sets up; arguments arrive as sys.argv[1:].
    func boto3(_ script: String, _ arguments: [String] = []) throws -> String {
        let result = try run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", AWSFixtures.prelude + script] + arguments)
        guard result.status == 0 else { throw AdminError(message: "boto3 fixture failed: \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A SecureString parameter (a KMS key of its own), as the CloudFormation template makes it.
    func putSecureString(_ name: String, value: String) throws {
        try AWSFixtures.call("put_secure_string", ["name": name, "value": value])
    }

    /// A status table; with `role`, in the account that role belongs to (moto keeps one backend per
    /// account, so only that role's credentials reach it).
    func createStatusTable(_ name: String, role: String = "", region: String = "us-east-1") throws {
        try AWSFixtures.call("create_status_table", ["name": name, "role": role, "region": region])
    }

    /// The instance's status item, each attribute's value as text (S or N).
    func statusItem(table: String, instanceId: String, role: String = "", region: String = "us-east-1") throws -> [String: String]? {
        try AWSFixtures.call("status_item", ["table": table, "instance_id": instanceId, "role": role, "region": region])
            as? [String: String]
    }

    /// The keys STS issued to AssumeRole calls signed with `accessKeyId` (the proxy logs their ids), so that
    /// a test can pick its own assumed role's calls out of a log that other suites write to at the same time.
    func keysIssued(to accessKeyId: String) throws -> Set<String> {
        let text = try String(contentsOfFile: verdictLog, encoding: .utf8)
        var keys: Set<String> = []
        for line in text.split(separator: "\n") {
            guard let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                entry["accessKeyId"] as? String == accessKeyId, let issued = entry["issuedAccessKeyIds"] as? [String]
            else { continue }
            keys.formUnion(issued)
        }
        return keys
    }

    /// Every verdict of the checking proxy so far, with the key and region each request was signed for.
    func verdicts() throws -> [(operation: String, verdict: String, accessKeyId: String, region: String)] {
        let text = try String(contentsOfFile: verdictLog, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            guard let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return (
                (entry["operation"] as? String) ?? "?", (entry["verdict"] as? String) ?? "?",
                (entry["accessKeyId"] as? String) ?? "?", (entry["region"] as? String) ?? "?"
            )
        }
    }

    func tagInstance(_ instanceId: String, tags: [String: String]) throws {
        try AWSFixtures.call("tag_instance", ["instance_id": instanceId, "tags": tags])
    }
}
