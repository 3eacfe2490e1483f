/// The shapes of the AWS names that settings and flags carry, checked before they reach a request
/// (the rules of each service's API reference).
public enum AWSNames {
    /// The settings parameter's name when none is given (--parameter, /etc/default/adjoin).
    public static let defaultParameter = "adjoin"

    /// DynamoDB: 3 to 255 characters of a-z, A-Z, 0-9, '_', '-', '.'.
    public static func isTableName(_ text: String) -> Bool {
        (3...255).contains(text.utf8.count) && text.utf8.allSatisfy { isAlphanumeric($0) || "_-.".utf8.contains($0) }
    }

    /// A region code: letters in dash-separated groups, then a number (eu-west-1, us-gov-west-1).
    public static func isRegion(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, let last = parts.last, last.allSatisfy(\.isASCIIDigit) else { return false }
        return parts.dropLast().allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x61 && $0 <= 0x7A } }
    }

    /// arn:PARTITION:iam::ACCOUNT:role/PATH/NAME
    public static func isRoleARN(_ text: String) -> Bool {
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1].hasPrefix("aws"), parts[2] == "iam", parts[3].isEmpty,
            parts[4].count == 12, parts[4].allSatisfy(\.isASCIIDigit), parts[5].hasPrefix("role/")
        else { return false }
        let name = parts[5].dropFirst(5)
        return !name.isEmpty && name.utf8.count <= 512 && name.utf8.allSatisfy { isAlphanumeric($0) || "+=,.@_-/".utf8.contains($0) }
    }

    /// IAM: a role name, 1 to 64 of letters, digits and + = , . @ _ -.
    public static func isRoleName(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.utf8.allSatisfy { isAlphanumeric($0) || "+=,.@_-".utf8.contains($0) }
    }

    /// A 12-digit AWS account id.
    public static func isAccountId(_ text: String) -> Bool {
        text.utf8.count == 12 && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// SSM: a name (letters, digits, _ . - /, at most 2048) or a parameter ARN.
    public static func isParameterName(_ text: String) -> Bool {
        if text.hasPrefix("arn:") {
            return text.contains(":ssm:") && text.contains(":parameter/") && region(ofARN: text) != nil && text.utf8.count <= 2048
                && text.utf8.allSatisfy { isAlphanumeric($0) || "_.-/:".utf8.contains($0) }
        }
        return (1...2048).contains(text.utf8.count) && text.utf8.allSatisfy { isAlphanumeric($0) || "_.-/".utf8.contains($0) }
    }

    /// Secrets Manager: a name (1 to 512 of letters, digits, / _ + = . @ -) or a secret ARN.
    public static func isSecretId(_ text: String) -> Bool {
        if text.hasPrefix("arn:") {
            let parts = text.split(separator: ":", maxSplits: 6, omittingEmptySubsequences: false)
            return parts.count == 7 && parts[2] == "secretsmanager" && isRegion(String(parts[3])) && parts[5] == "secret"
                && isSecretId(String(parts[6]))
        }
        return (1...512).contains(text.utf8.count) && text.utf8.allSatisfy { isAlphanumeric($0) || "/_+=.@-".utf8.contains($0) }
    }

    /// The Region an ARN names (arn:aws:ssm:eu-west-1:...), nil for a plain name or a global ARN.
    public static func region(ofARN text: String) -> String? {
        guard text.hasPrefix("arn:") else { return nil }
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, isRegion(String(parts[3])) else { return nil }
        return String(parts[3])
    }

    /// EC2 tag keys: 1 to 128 characters, not starting with "aws:"; kept to printable text here.
    public static func isTagKey(_ text: String) -> Bool {
        (1...128).contains(text.count) && !text.lowercased().hasPrefix("aws:")
            && text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }
}

private extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
