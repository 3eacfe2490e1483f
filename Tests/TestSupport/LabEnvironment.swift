import Foundation

/// The running lab, as `eval "$(scripts/lab env)"` describes it: the one place where the suites read
/// its variables. Its DC and directory, and its AWS side (moto, the signature-checking proxy in front
/// of it, the IMDSv2 emulator).
public struct LabEnvironment: Sendable {
    public let dcIP: String
    /// The DC's IPv6 address (ADJOIN_LAB_DC_IP6), where the lab has one: its DNS, the metadata emulator and
    /// the proxy listen there too.
    public let dcIPv6: String?
    public let dcHost: String
    public let domain: String
    public let netbios: String
    public let realm: String
    public let joinUser: String
    public let joinPasswordFile: String
    public let adminPasswordFile: String
    public let organizationalUnit: String
    public let baseDN: String
    public let krb5Config: String
    public let resolvConf: String
    public let hostsFile: String
    public let loginGroup: String
    public let memberUser: String
    public let memberPasswordFile: String
    public let nonmemberUser: String
    public let nonmemberPasswordFile: String
    /// The join user with Microsoft's minimal join rights on its own OU (scripts/lab's delegations).
    public let minimalUser: String
    public let minimalPasswordFile: String
    public let minimalOrganizationalUnit: String
    /// The checking proxy: the agent's only way to moto.
    public let awsEndpoint: String
    /// moto itself, for fixtures.
    public let motoEndpoint: String
    public let imdsEndpoint: String
    public let imdsState: String
    /// The proxy's verdict on each request, one JSON object a line.
    public let sigV4Log: String
    /// The key pairs the proxy knows (JSON: access key id to secret).
    public let awsKeysFile: String

    public static func current() throws -> LabEnvironment {
        let value = labVariable
        return LabEnvironment(
            dcIP: try value("ADJOIN_LAB_DC_IP"),
            dcIPv6: ProcessInfo.processInfo.environment["ADJOIN_LAB_DC_IP6"].flatMap { $0.isEmpty ? nil : $0 },
            dcHost: try value("ADJOIN_LAB_DC_HOST"),
            domain: try value("ADJOIN_LAB_DOMAIN"), netbios: try value("ADJOIN_LAB_NETBIOS"),
            realm: try value("ADJOIN_LAB_REALM"), joinUser: try value("ADJOIN_LAB_JOIN_USER"),
            joinPasswordFile: try value("ADJOIN_LAB_JOIN_PASSWORD_FILE"),
            adminPasswordFile: try value("ADJOIN_LAB_ADMIN_PASSWORD_FILE"), organizationalUnit: try value("ADJOIN_LAB_OU"),
            baseDN: try value("ADJOIN_LAB_BASE_DN"), krb5Config: try value("ADJOIN_LAB_KRB5_CONFIG"),
            resolvConf: try value("ADJOIN_LAB_RESOLV_CONF"), hostsFile: try value("ADJOIN_LAB_HOSTS_FILE"),
            loginGroup: try value("ADJOIN_LAB_LOGIN_GROUP"), memberUser: try value("ADJOIN_LAB_MEMBER_USER"),
            memberPasswordFile: try value("ADJOIN_LAB_ALICE_PASSWORD_FILE"), nonmemberUser: try value("ADJOIN_LAB_NONMEMBER_USER"),
            nonmemberPasswordFile: try value("ADJOIN_LAB_BOB_PASSWORD_FILE"), minimalUser: try value("ADJOIN_LAB_MINIMAL_USER"),
            minimalPasswordFile: try value("ADJOIN_LAB_MINIMAL_PASSWORD_FILE"),
            minimalOrganizationalUnit: try value("ADJOIN_LAB_MINIMAL_OU"),
            awsEndpoint: try value("ADJOIN_LAB_AWS_ENDPOINT"), motoEndpoint: try value("ADJOIN_LAB_MOTO_ENDPOINT"),
            imdsEndpoint: try value("ADJOIN_LAB_IMDS_ENDPOINT"), imdsState: try value("ADJOIN_LAB_IMDS_STATE"),
            sigV4Log: try value("ADJOIN_LAB_SIGV4_LOG"), awsKeysFile: try value("ADJOIN_LAB_AWS_KEYS_FILE"))
    }

    /// The join user's password, read from the lab's 0600 file (never from the environment).
    public func joinPassword() throws -> [UInt8] {
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: joinPasswordFile)))
        while bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        return bytes
    }

    /// The lab's static key pair (AKIA...), not one that a test registered for an instance (ASIA...):
    /// those may belong to other accounts in moto.
    public func staticKey() throws -> (accessKeyId: String, secretAccessKey: String) {
        let keys = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: awsKeysFile))) as? [String: String]
        guard let pair = keys?.first(where: { $0.key.hasPrefix("AKIA") }) else {
            throw LabSupportFailed(message: "no AKIA key in \(awsKeysFile): is the lab started?")
        }
        return (pair.key, pair.value)
    }

    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// A program or module of the lab's own (scripts/lab-support).
    public static func support(_ name: String) -> URL {
        packageRoot.appendingPathComponent("scripts/lab-support").appendingPathComponent(name)
    }

    /// Runs a Python program of scripts/lab-support with `input` on its stdin (where requests go, so
    /// that no value, a password included, is in argv) and returns its stdout; its stderr is in the
    /// error when it fails.
    public static func runSupport(_ name: String, input: Data) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", support(name).path]
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw LabSupportFailed(message: "\(name) failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return output
    }
}

public struct LabSupportFailed: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
