import AdjoinCore
import Foundation
import TestSupport
import Testing

/// The lab started by `scripts/lab start`; its coordinates come from `eval "$(scripts/lab env)"`, read by
/// TestSupport's one reader.
typealias Lab = LabEnvironment

extension LabEnvironment {
    /// The agent binary that `swift build` made next to the test bundle, or ADJOIN_BIN.
    static var agentBinary: URL {
        if let explicit = ProcessInfo.processInfo.environment["ADJOIN_BIN"] {
            return URL(fileURLWithPath: explicit)
        }
        return packageRoot.appendingPathComponent(".build/debug/adjoin")
    }
}

struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs the agent as a user would; `stdin` is fed to it (else it gets /dev/null).
func runAgent(_ arguments: [String], stdin: URL? = nil) throws -> CommandResult {
    try run(Lab.agentBinary, arguments, stdin: stdin)
}

/// The agent falls back to the real instance metadata address when the endpoint variable is unset;
/// tests must never send it there (nothing but loopback is ours).
func requireLoopbackMetadata(_ environment: [String: String]) throws {
    let endpoint = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] ?? ""
    // The lab's own IPv6 address (the IPv6-only tests' emulator) is as local as 127.x.
    let labIPv6 = (try? Lab.current().dcIPv6).flatMap { $0 }.map { "http://[\($0)]:" }
    guard endpoint.hasPrefix("http://127.") || labIPv6.map(endpoint.hasPrefix) == true else {
        throw AdminError(
            message: "refusing to run the agent with AWS_EC2_METADATA_SERVICE_ENDPOINT='\(endpoint)': "
                + "set it to the lab's IMDS emulator (eval \"$(scripts/lab env)\")")
    }
}

/// Runs a program and collects what it prints.
func run(_ executable: URL, _ arguments: [String], stdin: URL? = nil, environment: [String: String] = [:]) throws -> CommandResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let effective = ChildEnvironment.inherited(adding: environment)
    process.environment = effective
    if executable == Lab.agentBinary || arguments.contains(Lab.agentBinary.path) {
        try requireLoopbackMetadata(effective)
    }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = try stdin.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus,
        stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}
