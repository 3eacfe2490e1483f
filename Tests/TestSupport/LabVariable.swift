import Foundation
import Testing

/// A setting of the running lab, from the variables `scripts/lab env` exports (LabEnvironment reads them all).
func labVariable(_ name: String) throws -> String {
    guard let value = ProcessInfo.processInfo.environment[name] else { throw LabNotRunning(variable: name) }
    return value
}

public struct LabNotRunning: Error, CustomStringConvertible {
    public let variable: String
    public var description: String {
        "\(variable) is not set: start the lab with `scripts/lab start` and `eval \"$(scripts/lab env)\"`"
    }
}

/// Whether the suites that need the lab should run. They run when its variables are set; CI also sets
/// ADJOIN_LAB=1, so that a lab that failed to start fails those suites instead of skipping them.
public enum LabPresence {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    public static var required: Bool { environment["ADJOIN_LAB"] == "1" }
    public static var running: Bool { environment["ADJOIN_LAB_DIR"] != nil }
    public static var suitesRun: Bool { required || running }
    public static let skipReason =
        "lab not running: run scripts/lab start, then eval \"$(scripts/lab env)\" (ADJOIN_LAB=1 makes its absence a failure)"
}

extension Trait where Self == ConditionTrait {
    /// On a suite that needs the lab: skipped, saying so, when the lab is not running (unless ADJOIN_LAB=1).
    public static var needsLab: Self { .enabled(if: LabPresence.suitesRun, Comment(rawValue: LabPresence.skipReason)) }
}

/// Whether python3 can import botocore, the independent SigV4 signer some unit suites check against.
public enum Botocore {
    public static let available: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import botocore.auth"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }()
    public static let skipReason =
        "botocore is not installed (pip install botocore; scripts/lab start installs it); ADJOIN_LAB=1 makes its absence a failure"
}

extension Trait where Self == ConditionTrait {
    /// On a suite that checks against botocore: skipped, saying so, where it is missing (unless ADJOIN_LAB=1).
    public static var needsBotocore: Self {
        .enabled(if: LabPresence.required || Botocore.available, Comment(rawValue: Botocore.skipReason))
    }
}
