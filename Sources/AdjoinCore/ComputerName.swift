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

    /// A name a join checked and recorded (the join record's), taken as it is.
    public init(recorded name: String) {
        value = name
    }

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

    /// A name derived from an EC2 instance id (settings `computerNameFrom: instance-id`), one-to-one so
    /// that two instances can never share an account however their IPs and host names are reused:
    /// the 68 bits of a current id's 17 hex digits as 14 base-32 digits after 'I' (15 characters), an
    /// older 8-digit id as 'I-' and its digits. i-0123456789abcdef0 becomes I014D2MF2DBPNNG.
    public init(instanceID: String) throws(AdjoinError) {
        let digits = instanceID.hasPrefix("i-") ? instanceID.dropFirst(2) : ""
        guard digits.count == 8 || digits.count == 17, digits.utf8.allSatisfy({ $0.isLowercaseHexDigit }) else {
            throw .invalidInput("'\(instanceID)' is not an EC2 instance id (i- and 8 or 17 lower-case hex digits)")
        }
        if digits.count == 8 {
            value = "I-" + digits.uppercased()
            return
        }
        var bits = UInt128(0)
        for byte in digits.utf8 { bits = bits << 4 | UInt128(byte.hexDigitValue) }
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUV")
        value = "I" + String((0..<14).map { alphabet[Int((bits >> (65 - 5 * UInt128($0))) & 0x1F)] })
    }

    /// Letters, digits and '-' (RFC 1123 host labels, which AD's NetBIOS names also accept), not all digits.
    private static func checkCharacters(_ name: String, given: String) throws(AdjoinError) {
        guard name.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || $0 == UInt8(ascii: "-") }),
            !name.hasPrefix("-"), !name.allSatisfy(\.isNumber)
        else {
            throw .invalidInput(
                "'\(given)' cannot name a computer account: use letters, digits and '-' (not all digits, not starting with '-')")
        }
    }

    static func suffix(of fqdn: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        let digest = SHA256.hash(Array(fqdn.utf8))
        let bits = UInt32(digest[0]) << 12 | UInt32(digest[1]) << 4 | UInt32(digest[2]) >> 4
        return String((0..<4).map { alphabet[Int((bits >> (15 - 5 * UInt32($0))) & 0x1F)] })
    }
}

private extension UInt8 {
    var isLowercaseHexDigit: Bool { (0x30...0x39).contains(self) || (0x61...0x66).contains(self) }
    var hexDigitValue: UInt8 { self <= 0x39 ? self - 0x30 : self - 0x61 + 10 }
}
