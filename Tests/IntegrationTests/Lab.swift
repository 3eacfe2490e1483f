import AdjoinCore
import Foundation
import Testing

/// The lab started by `scripts/lab start`; its coordinates come from `eval "$(scripts/lab env)"`.
/// Integration tests fail (they do not skip) when the lab is missing, so CI cannot pass without it.
struct Lab {
    let dcIP: String
    let dcHost: String
    let domain: String
    let netbios: String
    let realm: String
    let joinUser: String
    let joinPasswordFile: String

    static func current() throws -> Lab {
        let environment = ProcessInfo.processInfo.environment
        func value(_ name: String) throws -> String {
            try #require(environment[name], "\(name) is not set: start the lab with `scripts/lab start` and `eval \"$(scripts/lab env)\"`")
        }
        return Lab(dcIP: try value("ADJOIN_LAB_DC_IP"), dcHost: try value("ADJOIN_LAB_DC_HOST"),
                   domain: try value("ADJOIN_LAB_DOMAIN"), netbios: try value("ADJOIN_LAB_NETBIOS"),
                   realm: try value("ADJOIN_LAB_REALM"), joinUser: try value("ADJOIN_LAB_JOIN_USER"),
                   joinPasswordFile: try value("ADJOIN_LAB_JOIN_PASSWORD_FILE"))
    }

    /// The join user's password, read from the lab's 0600 file (never from the environment).
    func joinPassword() throws -> [UInt8] {
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: joinPasswordFile)))
        while bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        return bytes
    }

    /// The agent binary that `swift build` made next to the test bundle, or ADJOIN_BIN.
    static var agentBinary: URL {
        if let explicit = ProcessInfo.processInfo.environment["ADJOIN_BIN"] {
            return URL(fileURLWithPath: explicit)
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent(".build/debug/adjoin")
    }
}

struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs the agent as a user would, with no standard input.
func runAgent(_ arguments: [String]) throws -> CommandResult {
    let process = Process()
    process.executableURL = Lab.agentBinary
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}
