import AdjoinCore

/// What the broker hands an instance it preset an account for: where and as whom to join, who may log
/// in, and the one-time password. The password is in this answer's body and nowhere else: not in a log
/// line, not in an error, not in `description`.
public struct BrokerAnswer: Sendable {
    public var instanceId: String
    public var domain: String
    public var domainControllers: [String]
    /// The DC the account was preset on (the instance's first choice, so that it need not wait for replication).
    public var domainController: String
    public var computerName: String
    public var hostFQDN: String
    public var computerDN: String
    public var organizationalUnit: String?
    public var created: Bool
    public var loginGroups: [String]
    public var sudoGroup: String?
    /// The settings the instance's host configuration and status reporting take as they are.
    public var settings: AgentSettings
    public var oneTimePassword: SecretBytes
    public var warnings: [String]

    /// The members other than the password, as JSON.
    var publicMembers: [(String, JSON)] {
        var members: [(String, JSON)] = [
            ("status", .string("PRESET")),
            ("instanceId", .string(instanceId)),
            ("domain", .string(domain)),
            ("domainControllers", .array(domainControllers.map { .string($0) })),
            ("domainController", .string(domainController)),
            ("computerName", .string(computerName)),
            ("hostFQDN", .string(hostFQDN)),
            ("computerDN", .string(computerDN)),
            ("organizationalUnit", .optional(organizationalUnit)),
            ("account", .string(created ? "created" : "reset")),
            ("loginGroups", .array(loginGroups.map { .string($0) })),
            ("sudoGroup", .optional(sudoGroup)),
            ("warnings", .array(warnings.map { .string($0) })),
        ]
        members += SettingsModel.handedOn(settings)
        return members
    }

    /// The JSON body, its first member the one-time password, as bytes the caller wipes once sent.
    public func body() -> [UInt8] {
        let rest = JSON.object(publicMembers).serialized()
        var bytes = Array("{\"oneTimePassword\":".utf8)
        oneTimePassword.withUnsafeBytes { JSONBytes.appendQuoted($0, to: &bytes) }
        bytes += Array(",".utf8) + Array(rest.utf8.dropFirst())
        return bytes
    }
}

/// A JSON string written byte by byte, for secrets that must never become a String.
enum JSONBytes {
    static func appendQuoted(_ value: UnsafeRawBufferPointer, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                bytes += [UInt8(ascii: "\\"), byte]
            case 0..<0x20, 0x7F:
                let hex = Array("0123456789abcdef".utf8)
                bytes += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
