/// Where an EC2 owner lives: its AWS account and Region, recorded on the account after the instance
/// id (`adjoin-owner: i-0123456789abcdef0 account=123456789012 region=eu-west-1`), so that `sweep`
/// can ask EC2 about the instance in its own account and Region from the directory alone.
public struct OwnerLocation: Sendable, Hashable, CustomStringConvertible {
    public let accountId: String
    public let region: String

    /// nil unless both look like what EC2's identity document says: 12 digits, and a Region code.
    public init?(accountId: String, region: String) {
        guard accountId.utf8.count == 12, accountId.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), OwnerLocation.isRegion(region) else {
            return nil
        }
        self.accountId = accountId
        self.region = region
    }

    public var description: String { "\(accountId)/\(region)" }

    /// The words after the id in the `info` value.
    var recorded: String { "account=\(accountId) region=\(region)" }

    /// From the words after the id; words it does not know are ignored (a later version may add some).
    static func parse(words: [Substring]) -> OwnerLocation? {
        var account: String?
        var region: String?
        for word in words {
            if word.hasPrefix("account=") { account = String(word.dropFirst("account=".count)) }
            if word.hasPrefix("region=") { region = String(word.dropFirst("region=".count)) }
        }
        guard let account, let region else { return nil }
        return OwnerLocation(accountId: account, region: region)
    }

    /// Letters in dash-separated groups, then a number (eu-west-1, us-gov-west-1).
    static func isRegion(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, text.utf8.count <= 32, let last = parts.last, !last.isEmpty,
            last.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else { return false }
        return parts.dropLast().allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x61 && $0 <= 0x7A } }
    }
}
