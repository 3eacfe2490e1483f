import AdjoinCore
import Foundation
import TestSupport
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
    let adminPasswordFile: String
    let organizationalUnit: String
    let baseDN: String
    let krb5Config: String
    let resolvConf: String
    let hostsFile: String
    let loginGroup: String
    let memberUser: String
    let memberPasswordFile: String
    let nonmemberUser: String
    let nonmemberPasswordFile: String
    /// The join user with Microsoft's minimal join rights on its own OU (scripts/lab's delegations).
    let minimalUser: String
    let minimalPasswordFile: String
    let minimalOrganizationalUnit: String

    static func current() throws -> Lab {
        let value = labVariable
        return Lab(dcIP: try value("ADJOIN_LAB_DC_IP"), dcHost: try value("ADJOIN_LAB_DC_HOST"),
                   domain: try value("ADJOIN_LAB_DOMAIN"), netbios: try value("ADJOIN_LAB_NETBIOS"),
                   realm: try value("ADJOIN_LAB_REALM"), joinUser: try value("ADJOIN_LAB_JOIN_USER"),
                   joinPasswordFile: try value("ADJOIN_LAB_JOIN_PASSWORD_FILE"),
                   adminPasswordFile: try value("ADJOIN_LAB_ADMIN_PASSWORD_FILE"), organizationalUnit: try value("ADJOIN_LAB_OU"),
                   baseDN: try value("ADJOIN_LAB_BASE_DN"), krb5Config: try value("ADJOIN_LAB_KRB5_CONFIG"),
                   resolvConf: try value("ADJOIN_LAB_RESOLV_CONF"), hostsFile: try value("ADJOIN_LAB_HOSTS_FILE"),
                   loginGroup: try value("ADJOIN_LAB_LOGIN_GROUP"), memberUser: try value("ADJOIN_LAB_MEMBER_USER"),
                   memberPasswordFile: try value("ADJOIN_LAB_ALICE_PASSWORD_FILE"), nonmemberUser: try value("ADJOIN_LAB_NONMEMBER_USER"),
                   nonmemberPasswordFile: try value("ADJOIN_LAB_BOB_PASSWORD_FILE"), minimalUser: try value("ADJOIN_LAB_MINIMAL_USER"),
                   minimalPasswordFile: try value("ADJOIN_LAB_MINIMAL_PASSWORD_FILE"), minimalOrganizationalUnit: try value("ADJOIN_LAB_MINIMAL_OU"))
    }

    /// The join user's password, read from the lab's 0600 file (never from the environment).
    func joinPassword() throws -> [UInt8] {
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: joinPasswordFile)))
        while bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        return bytes
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

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
    guard endpoint.hasPrefix("http://127.") else {
        throw AdminError(message: "refusing to run the agent with AWS_EC2_METADATA_SERVICE_ENDPOINT='\(endpoint)': "
                         + "set it to the lab's IMDS emulator (eval \"$(scripts/lab env)\")")
    }
}

/// Runs a program and collects what it prints.
func run(_ executable: URL, _ arguments: [String], stdin: URL? = nil, environment: [String: String] = [:]) throws -> CommandResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let effective = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    if !environment.isEmpty { process.environment = effective }
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
    return CommandResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

extension Trait where Self == ConditionTrait {
    /// On a suite that needs the lab: skipped, saying so, when the lab is not running (unless ADJOIN_LAB=1).
    static var needsLab: Self { .enabled(if: LabPresence.suitesRun, Comment(rawValue: LabPresence.skipReason)) }
}
