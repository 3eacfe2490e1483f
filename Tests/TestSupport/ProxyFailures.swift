import Foundation

/// The lab's SigV4-checking proxy refused a plan of failures.
public struct ProxyPlanRefused: Error, CustomStringConvertible {
    public let description: String
}

/// Makes the lab's checking proxy (scripts/lab-support/sigv4_proxy.py) answer the next requests of one
/// operation signed with one session token (its digest: the first 16 hex digits of its SHA-256) with these
/// errors, after checking their signatures, instead of passing them to moto. `tokenDigest` "*" matches
/// any session token; `message` is the errors' message (default: the proxy's own).
public func planProxyFailures(
    proxyEndpoint: String, tokenDigest: String, operation: String,
    failures: [(status: Int, code: String)], message: String? = nil,
    bodyContains: String? = nil
) throws {
    let plan: [String: Any] = [
        "tokenDigest": tokenDigest, "operation": operation,
        "failures": failures.map { failure -> [String: Any] in
            var entry: [String: Any] = ["status": failure.status, "code": failure.code]
            if let message { entry["message"] = message }
            if let bodyContains { entry["bodyContains"] = bodyContains }
            return entry
        },
    ]
    let body = try JSONSerialization.data(withJSONObject: plan)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments = [
        "-sf", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "@-",
        proxyEndpoint + "/adjoin-lab/fail-next",
    ]
    let input = Pipe()
    process.standardInput = input
    process.standardOutput = Pipe()
    try process.run()
    input.fileHandleForWriting.write(body)
    try input.fileHandleForWriting.close()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw ProxyPlanRefused(description: "the proxy did not take the planned failures") }
}
