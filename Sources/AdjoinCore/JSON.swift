/// A JSON value whose objects keep their keys in the order written, so output reads with `status`
/// first. Small on purpose: the agent writes JSON for people and scripts, it does not need Foundation.
public indirect enum JSON: Sendable, Equatable {
    case string(String)
    case number(Int64)
    /// A number with a fraction or an exponent, kept as written (the agent only passes these through).
    case decimal(String)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])
    /// A string read from a member the parser was told is secret; it is written out as a placeholder.
    case secret(SecretBytes)

    public static func == (lhs: JSON, rhs: JSON) -> Bool { lhs.serialized() == rhs.serialized() }

    public func serialized(pretty: Bool = false) -> String {
        var out = ""
        write(to: &out, indent: pretty ? 0 : nil)
        return out
    }

    private func write(to out: inout String, indent: Int?) {
        let newline = indent.map { "\n" + String(repeating: "  ", count: $0 + 1) } ?? ""
        let closing = indent.map { "\n" + String(repeating: "  ", count: $0) } ?? ""
        let inner = indent.map { $0 + 1 }
        switch self {
        case .string(let text): JSON.quote(text, into: &out)
        case .number(let value): out += String(value)
        case .decimal(let text): out += text
        case .secret: JSON.quote("<secret>", into: &out)
        case .bool(let value): out += value ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "["
            for (index, item) in items.enumerated() {
                out += (index == 0 ? "" : ",") + newline
                item.write(to: &out, indent: inner)
            }
            out += closing + "]"
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{"
            for (index, (key, value)) in members.enumerated() {
                out += (index == 0 ? "" : ",") + newline
                JSON.quote(key, into: &out)
                out += indent == nil ? ":" : ": "
                value.write(to: &out, indent: inner)
            }
            out += closing + "}"
        }
    }

    /// RFC 8259 string escaping: quote, backslash and every control character.
    static func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension JSON {
    /// The first member named `key`, when this is an object.
    public subscript(key: String) -> JSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    public var string: String? { if case .string(let text) = self { text } else { nil } }
    public var integer: Int64? { if case .number(let value) = self { value } else { nil } }
    public var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    public var array: [JSON]? { if case .array(let items) = self { items } else { nil } }
    public var members: [(String, JSON)]? { if case .object(let members) = self { members } else { nil } }
    public var secret: SecretBytes? { if case .secret(let value) = self { value } else { nil } }

    /// What a value is, for messages such as "domain must be a string, not a number".
    public var kind: String {
        switch self {
        case .string, .secret: "a string"
        case .number, .decimal: "a number"
        case .bool: "true or false"
        case .null: "null"
        case .array: "a list"
        case .object: "an object"
        }
    }
}

extension JSON {
    /// `.string` or `.null`, for optional fields that scripts should always find.
    public static func optional(_ text: String?) -> JSON { text.map(JSON.string) ?? .null }
}
