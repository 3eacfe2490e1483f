/// An AD group named in host configuration (`--allow-group`, `--sudo-group`, the `adGroupName` tag).
/// Its name ends up inside sssd.conf and a sudoers file, so only what cannot break or inject into
/// those files is accepted: AWS Directory Service's tag rule (letters, digits, white space and
/// `_ . : / = + - @`), without `,` (sssd's list separator) and with no leading or trailing space.
public struct GroupName: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    public init(_ text: String) throws(AdjoinError) {
        guard !text.isEmpty, text.count <= 256 else {
            throw .invalidInput("group name must be 1 to 256 characters long")
        }
        for character in text.unicodeScalars where !GroupName.allowed(character) {
            let shown =
                character.isASCII && character.value >= 0x20 && character.value < 0x7f
                ? "'\(Character(character))'" : "U+\(String(character.value, radix: 16, uppercase: true))"
            throw .invalidInput(
                "group name \(GroupName.quoted(text)) contains \(shown): only letters, digits, spaces and _ . : / = + - @ are allowed")
        }
        guard text.first != " ", text.last != " " else {
            throw .invalidInput("group name \(GroupName.quoted(text)) starts or ends with a space")
        }
        value = text
    }

    public var description: String { value }

    private static func allowed(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        if "_.:/=+-@".unicodeScalars.contains(scalar) { return true }
        // Letters and digits of any script (AD allows them), but never a control or format character.
        return scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }

    /// The name for an error message, with control characters made visible.
    private static func quoted(_ text: String) -> String {
        "\"" + text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
            + "\""
    }
}
