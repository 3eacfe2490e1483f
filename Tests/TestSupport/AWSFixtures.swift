import Foundation

/// The lab's AWS fixtures (scripts/lab-support/aws_fixtures.py, which scripts/demo uses too), set up in
/// moto directly. The request goes to the script on stdin, so values (passwords among them) stay out of argv.
public enum AWSFixtures {
    /// Runs one fixture with these arguments and returns what it answered (JSON: nil for null).
    @discardableResult
    public static func call(_ fixture: String, _ arguments: [String: Any]) throws -> Any? {
        let request = try JSONSerialization.data(withJSONObject: ["fixture": fixture, "arguments": arguments])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", LabEnvironment.support("aws_fixtures.py").path]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(request)
        try input.fileHandleForWriting.close()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureFailed(message: "aws fixture \(fixture) failed: \(String(decoding: message, as: UTF8.self))")
        }
        let value = try JSONSerialization.jsonObject(with: answer, options: .fragmentsAllowed)
        return value is NSNull ? nil : value
    }

    /// Python that runs with the fixtures' `client(name, region, role)` (and json, sys, boto3) in scope,
    /// for what only one test sets up; arguments arrive as sys.argv[1:].
    public static var prelude: String {
        "import boto3, json, sys\nsys.path.insert(0, r'''\(LabEnvironment.support("").path)''')\nfrom aws_fixtures import client, endpoint\n"
    }
}

public struct FixtureFailed: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
