import AdjoinCore
import Foundation
import TestSupport
import Testing
@testable import AWS

/// The lab's AWS side (`scripts/lab start`, then `eval "$(scripts/lab env)"`): moto behind the
/// SigV4-checking proxy, and the IMDSv2 emulator, as LabEnvironment reads it.
struct AWSLab {
    let proxyEndpoint: String
    let imdsEndpoint: String
    let imdsState: String
    let verdictLog: String
    let accessKeyId: String
    let secretAccessKey: String

    static func current() throws -> AWSLab {
        let lab = try LabEnvironment.current()
        let pair = try lab.staticKey()
        return AWSLab(
            proxyEndpoint: lab.awsEndpoint, imdsEndpoint: lab.imdsEndpoint,
            imdsState: lab.imdsState, verdictLog: lab.sigV4Log, accessKeyId: pair.accessKeyId, secretAccessKey: pair.secretAccessKey)
    }

    /// An environment whose every AWS call goes through the checking proxy, with the lab's static key
    /// and a session token of this test's own: the proxy logs the token's digest, so the test can
    /// find its own requests among those of tests running beside it.
    func environment(sessionToken: String, region: String = "us-east-1", keys: Bool = true) -> AWSEnvironment {
        var variables = ["AWS_ENDPOINT_URL": proxyEndpoint, "AWS_REGION": region, "AWS_EC2_METADATA_SERVICE_ENDPOINT": imdsEndpoint]
        if keys {
            variables["AWS_ACCESS_KEY_ID"] = accessKeyId
            variables["AWS_SECRET_ACCESS_KEY"] = secretAccessKey
            variables["AWS_SESSION_TOKEN"] = sessionToken
        }
        return AWSEnvironment(variables: variables)
    }

    static func newSessionToken() -> String { "adjoin-test-" + UUID().uuidString }

    struct Verdict: Decodable {
        let verdict: String
        let operation: String?
        let accessKeyId: String?
        let tokenDigest: String?
        let region: String?
        let upstreamStatus: Int?
        let reason: String?
        /// For AssumeRole: the access key id the role's credentials carry.
        let issuedAccessKeyIds: [String]?
    }

    /// The proxy's verdicts on requests that carried this session token.
    func verdicts(sessionToken: String) throws -> [Verdict] {
        try verdicts { $0.tokenDigest == AWSLab.digest(sessionToken) }
    }

    func verdicts(where matches: (Verdict) -> Bool) throws -> [Verdict] {
        let text = try String(contentsOfFile: verdictLog, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Verdict.self, from: Data($0.utf8)) }.filter(matches)
    }

    static func digest(_ token: String) -> String { String(SHA256.hash(Array(token.utf8)).hexString.prefix(16)) }

    /// Runs a Python snippet with boto3 against moto directly, after the lab's fixtures' prelude (for what
    /// only one test sets up; the agent's own calls go through the proxy). Arguments arrive as
    /// sys.argv[1:]; what it prints comes back.
    func boto3(_ script: String, _ arguments: [String] = []) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", AWSFixtures.prelude + "ENDPOINT = endpoint()\n" + script] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging([
            "AWS_ACCESS_KEY_ID": "fixture", "AWS_SECRET_ACCESS_KEY": "fixture", "AWS_DEFAULT_REGION": "us-east-1",
        ]) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "fixture failed: \(String(decoding: errors, as: UTF8.self))")
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The lab emulator's current state (its role credentials).
    func imdsStateDocument() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: imdsState))) as? [String: Any])
    }
}

/// An IMDSv2 emulator of the test's own (scripts/lab-support/imds.py on an ephemeral port), for tests
/// that change the instance's state; its log tells which requests it saw.
final class PrivateIMDS {
    let process = Process()
    let endpoint: String
    let statePath: URL
    private let errors = Pipe()

    init(state: [String: Any]) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("adjoin-imds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        statePath = directory.appendingPathComponent("state.json")
        try JSONSerialization.data(withJSONObject: state).write(to: statePath)
        let script = LabEnvironment.support("imds.py")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", script.path, "--port", "0", "--state", statePath.path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = errors
        try process.run()
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
        let port = try #require(Int(String(decoding: line, as: UTF8.self)), "the emulator printed no port")
        endpoint = "http://127.0.0.1:\(port)"
    }

    /// Stops the emulator and returns its request log ("PUT /latest/api/token 200", ...).
    func stop() -> [String] {
        // SIGKILL: the test runner's threads block SIGTERM, and a child started from one inherits that mask.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        try? FileManager.default.removeItem(at: statePath.deletingLastPathComponent())
        return imdsRequests(inLog: log)
    }
}

extension AWSLab {
    struct PlannedFailure {
        let status: Int
        let code: String
    }

    /// Makes the proxy answer the next requests of this operation with this session token with these
    /// errors (after checking their signatures), instead of passing them to moto.
    func failNext(sessionToken: String, operation: String, _ failures: [PlannedFailure]) throws {
        try planProxyFailures(
            proxyEndpoint: proxyEndpoint, tokenDigest: AWSLab.digest(sessionToken), operation: operation,
            failures: failures.map { ($0.status, $0.code) })
    }

    /// A status table in the default account (the one the lab's static key works in).
    func makeTable(region: String = "us-east-1") throws -> String {
        let table = "adjoin-status-\(UUID().uuidString.prefix(8).lowercased())"
        try AWSFixtures.call("create_status_table", ["name": table, "region": region])
        return table
    }
}
