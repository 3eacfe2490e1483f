import Foundation

/// The lab's AWS fixtures (scripts/lab-support/aws_fixtures.py, which scripts/demo uses too), set up in
/// moto directly. The request goes to the script on stdin, so values (passwords among them) stay out of argv.
public enum AWSFixtures {
    /// Runs one fixture with these arguments and returns what it answered (JSON: nil for null).
    @discardableResult
    public static func call(_ fixture: String, _ arguments: [String: Any]) throws -> Any? {
        let request = try JSONSerialization.data(withJSONObject: ["fixture": fixture, "arguments": arguments])
        let answer = try LabEnvironment.runSupport("aws_fixtures.py", input: request)
        let value = try JSONSerialization.jsonObject(with: answer, options: .fragmentsAllowed)
        return value is NSNull ? nil : value
    }

    /// Python that runs with the fixtures' `client(name, region, role)` (and json, sys, boto3) in scope,
    /// for what only one test sets up; arguments arrive as sys.argv[1:].
    public static var prelude: String {
        "import boto3, json, sys\nsys.path.insert(0, r'''\(LabEnvironment.support("").path)''')\nfrom aws_fixtures import client, endpoint\n"
    }
}
