import AdjoinCore

/// The value of a Secrets Manager secret that holds the join credentials: seamless domain join's
/// JSON (`awsSeamlessDomainUsername`, `awsSeamlessDomainPassword`) gives the user and the password; any
/// other value is the password itself. Every string of the JSON is decoded into SecretBytes; only the
/// user name becomes a String.
enum JoinPasswordSecret {
    static let userKey = "awsSeamlessDomainUsername"
    static let passwordKey = "awsSeamlessDomainPassword"

    static func read(_ value: SecretBytes, secretId: String) throws(AdjoinError) -> (user: String?, password: SecretBytes) {
        let what = "the Secrets Manager secret \(secretId)"
        let startsAnObject = value.withUnsafeBytes { bytes in
            bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } == UInt8(ascii: "{")
        }
        guard startsAnObject, let members = (try? JSON.parse(value, secretKeys: [JSON.everyMember]))?.members else {
            return (nil, try password(trimmed(value), what: what))
        }
        guard let passwordValue = members.first(where: { $0.0 == passwordKey })?.1 else {
            throw .invalidInput(
                "\(what) is a JSON object without \"\(passwordKey)\" (it has \(members.map { "\"\($0.0)\"" }.joined(separator: ", "))): "
                    + "adjoin reads seamless domain join's \"\(userKey)\" and \"\(passwordKey)\", or a password alone")
        }
        guard let secret = passwordValue.secret else {
            throw .invalidInput("\(what): \"\(passwordKey)\" must be a string, not \(passwordValue.kind)")
        }
        var user: String? = nil
        if let userValue = members.first(where: { $0.0 == userKey })?.1 {
            guard let name = userValue.secret?.withUnsafeBytes({ String(decoding: $0, as: UTF8.self) }), !name.isEmpty,
                name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
            else {
                throw .invalidInput("\(what): \"\(userKey)\" must be a non-empty string without control characters")
            }
            user = name
        }
        return (user, try password(secret, what: what))
    }

    private static func password(_ value: SecretBytes, what: String) throws(AdjoinError) -> SecretBytes {
        guard !value.isEmpty, !value.containsNUL else {
            throw .invalidInput("\(what) holds an empty password, or one with a NUL character")
        }
        return value
    }

    /// The value less one trailing newline (what `--secret-string file://...` and `put-parameter
    /// --value file://...` leave).
    static func trimmed(_ value: SecretBytes) -> SecretBytes {
        value.withUnsafeBytes { bytes in
            var end = bytes.count
            if end > 0, bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
            if end > 0, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            return SecretBytes(bytes[0..<end])
        }
    }
}
