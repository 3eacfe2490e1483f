import AdjoinCore

/// The computer account's name (its NetBIOS name; sAMAccountName is this plus '$').
///
/// By default it is the first label of the host's FQDN in upper case. NetBIOS names hold at most 15
/// characters, and cutting longer ones would let two hosts collide silently (web-frontend-prod-01 and
/// web-frontend-prod-02 both become WEB-FRONTEND-PR). So a longer label keeps its first 10 characters,
/// then '-', then 4 characters derived from the whole FQDN (SHA-256, base-32): WEB-FRONTE-K3QZ.
/// Two different FQDNs then share a name only with odds of about 1 in a million, and even then the
/// ownership check refuses the second host rather than handing it the first one's account.
public struct ComputerName: Sendable, Hashable, CustomStringConvertible {
    public let value: String
    public static let maxLength = 15

    public var samAccountName: String { value + "$" }
    public var description: String { value }

    /// A name given explicitly (`--computer-name`): checked, upper-cased, never shortened.
    public init(explicit text: String) throws(AdjoinError) {
        let name = text.uppercased()
        guard !name.isEmpty, name.count <= ComputerName.maxLength else {
            throw .invalidInput("computer name '\(text)' must have 1 to 15 characters")
        }
        try ComputerName.checkCharacters(name, given: text)
        value = name
    }

    public init(hostFQDN: String) throws(AdjoinError) {
        let fqdn = hostFQDN.lowercased()
        guard let label = fqdn.split(separator: ".", omittingEmptySubsequences: false).first, !label.isEmpty else {
            throw .invalidInput("host name '\(hostFQDN)' has no first label to name the computer after")
        }
        let upper = label.uppercased()
        try ComputerName.checkCharacters(upper, given: hostFQDN)
        if upper.count <= ComputerName.maxLength {
            value = upper
        } else {
            value = String(upper.prefix(10)) + "-" + ComputerName.suffix(of: fqdn)
        }
    }

    /// Letters, digits and '-' (RFC 1123 host labels, which AD's NetBIOS names also accept), not all digits.
    private static func checkCharacters(_ name: String, given: String) throws(AdjoinError) {
        guard name.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || $0 == UInt8(ascii: "-") }),
              !name.hasPrefix("-"), !name.allSatisfy(\.isNumber) else {
            throw .invalidInput("'\(given)' cannot name a computer account: use letters, digits and '-' (not all digits, not starting with '-')")
        }
    }

    static func suffix(of fqdn: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        let digest = SHA256.hash(Array(fqdn.utf8))
        let bits = UInt32(digest[0]) << 12 | UInt32(digest[1]) << 4 | UInt32(digest[2]) >> 4
        return String((0..<4).map { alphabet[Int((bits >> (15 - 5 * UInt32($0))) & 0x1F)] })
    }
}
