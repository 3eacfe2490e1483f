/// An LDAP attribute name as a setting may give it (RFC 4512's descr: a letter, then letters, digits
/// and hyphens): such a name is written into configuration files, so nothing else may pass.
public enum AttributeName {
    public static func isValid(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.count <= 64, first.isASCII, first.properties.isAlphabetic else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
    }
}
