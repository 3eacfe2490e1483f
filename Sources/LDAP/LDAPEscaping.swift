/// Escaping for values that go into LDAP filters (RFC 4515) and DNs (RFC 4514), so that a host or
/// group name can never change the meaning of a search or the place of an object.
public enum LDAPEscaping {
    /// `*`, `(`, `)`, `\` and NUL become `\2a`, `\28`, `\29`, `\5c`, `\00`; so does every non-ASCII
    /// or control byte, which keeps filters printable.
    public static func filterValue(_ value: String) -> String {
        var escaped = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "*"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "\\"), 0x00..<0x20, 0x7F...0xFF:
                escaped += "\\" + hex(byte)
            default:
                escaped.unicodeScalars.append(UnicodeScalar(byte))
            }
        }
        return escaped
    }

    /// An attribute value inside a DN: `,+"\<>;=` escaped anywhere, control characters as `\xx`,
    /// and a leading space or `#` and a trailing space escaped too. Other UTF-8 stays as it is.
    public static func dnValue(_ value: String) -> String {
        let scalars = Array(value.unicodeScalars)
        var escaped = ""
        for (index, scalar) in scalars.enumerated() {
            switch scalar {
            case ",", "+", "\"", "\\", "<", ">", ";", "=":
                escaped += "\\" + String(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                escaped += "\\" + hex(UInt8(scalar.value))
            case " " where index == 0 || index == scalars.count - 1:
                escaped += "\\ "
            case "#" where index == 0:
                escaped += "\\#"
            default:
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
