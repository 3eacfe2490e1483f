/// The service class of a service principal the host runs (`--service-name`, the `servicePrincipals`
/// setting): `HTTP`, `nfs`, `cifs`. The join registers `NAME/FQDN` and `NAME/SHORT` on the computer
/// account and gives both keys in the keytab. The name becomes the first component of a Kerberos
/// principal and of an SPN value, where `/` separates components, `@` the realm and `\` escapes, and
/// the validated SPN write compares it byte for byte: so only ASCII letters, digits and `- _ .`.
public struct ServiceName: Hashable, Sendable, CustomStringConvertible {
    public let value: String

    /// The service classes every computer account has already: its keys serve them without asking.
    public static let builtIn = ["host", "RestrictedKrbHost"]

    public init(_ text: String) throws(AdjoinError) {
        guard !text.isEmpty else { throw .invalidInput("a service name is empty: give a service class such as HTTP, nfs or cifs") }
        guard text.count <= 64 else { throw .invalidInput("the service name \(Self.quoted(text)) is longer than 64 characters") }
        if text.contains("/") {
            throw .invalidInput(
                "the service name \(Self.quoted(text)) contains '/': give the service class alone (HTTP, not HTTP/host); "
                    + "adjoin adds NAME/FQDN and NAME/SHORT itself")
        }
        if let space = text.unicodeScalars.first(where: { $0.properties.isWhitespace }) {
            throw .invalidInput(
                "the service name \(Self.quoted(text)) contains a space (U+\(String(space.value, radix: 16, uppercase: true)))")
        }
        if let other = text.unicodeScalars.first(where: { !$0.isASCII }) {
            throw .invalidInput(
                "the service name \(Self.quoted(text)) contains U+\(String(other.value, radix: 16, uppercase: true)): "
                    + "only ASCII letters, digits and - _ . are allowed")
        }
        if let other = text.unicodeScalars.first(where: { !Self.allowed($0) }) {
            throw .invalidInput(
                "the service name \(Self.quoted(text)) contains \(Self.shown(other)): only ASCII letters, digits and - _ . are allowed")
        }
        if let builtIn = Self.builtIn.first(where: { $0.lowercased() == text.lowercased() }) {
            throw .invalidInput(
                "the service name \(Self.quoted(text)) is always registered: every computer account has \(builtIn)/FQDN and "
                    + "\(builtIn)/SHORT, and the keytab their keys")
        }
        value = text
    }

    public var description: String { value }

    /// Names as given, checked, each once (AD compares SPNs without regard to case: `HTTP` and `http` are one).
    public static func list(_ texts: [String]) throws(AdjoinError) -> [ServiceName] {
        var names: [ServiceName] = []
        for text in texts {
            let name = try ServiceName(text)
            if !names.contains(where: { $0.value.lowercased() == name.value.lowercased() }) { names.append(name) }
        }
        return names
    }

    /// `NAME/SHORT` and `NAME/fqdn`, as Windows registers a host's SPNs.
    public func principalNames(computerName: String, hostFQDN: String) -> [String] {
        ["\(value)/\(computerName)", "\(value)/\(hostFQDN.lowercased())"]
    }

    private static func allowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".": true
        default: false
        }
    }

    private static func shown(_ scalar: Unicode.Scalar) -> String {
        scalar.value >= 0x20 && scalar.value < 0x7f ? "'\(Character(scalar))'" : "U+\(String(scalar.value, radix: 16, uppercase: true))"
    }

    /// The name for a message, control characters made visible.
    private static func quoted(_ text: String) -> String {
        "\"" + text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
            + "\""
    }
}
