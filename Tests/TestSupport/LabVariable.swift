import Foundation

/// A setting of the running lab, from the variables `scripts/lab env` exports.
public func labVariable(_ name: String) throws -> String {
    guard let value = ProcessInfo.processInfo.environment[name] else { throw LabNotRunning(variable: name) }
    return value
}

public struct LabNotRunning: Error, CustomStringConvertible {
    public let variable: String
    public var description: String {
        "\(variable) is not set: start the lab with `scripts/lab start` and `eval \"$(scripts/lab env)\"`"
    }
}
