import AdjoinCore

/// Just enough XML for the replies of AWS's query protocol (EC2, STS): elements, their text and
/// their children; attributes, comments, processing instructions and CDATA markers are read past.
/// Names lose any namespace prefix. Replies are untrusted, so depth and size are bounded.
struct XMLElement {
    var name: String
    var children: [XMLElement] = []
    var text: String = ""
    /// The text of an element the parser was told is secret (STS's SecretAccessKey and SessionToken),
    /// never made a String; `text` is then empty.
    var secret: SecretBytes?

    /// The first child named `name`.
    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }

    /// Children named `name`.
    func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }

    /// The first element named `name` anywhere below (depth first), for error replies whose wrapper
    /// differs between services (`ErrorResponse/Error/Code`, `Response/Errors/Error/Code`).
    func descendant(_ name: String) -> XMLElement? {
        for child in children {
            if child.name == name { return child }
            if let found = child.descendant(name) { return found }
        }
        return nil
    }

    /// Text of the child at this path of names, e.g. `["Credentials", "AccessKeyId"]`.
    func text(at path: [String]) -> String? {
        var element = self
        for name in path {
            guard let next = element.child(name) else { return nil }
            element = next
        }
        return element.text
    }

    struct ParseError: Error, CustomStringConvertible {
        let offset: Int
        let reason: String
        var description: String { "\(reason) at byte \(offset)" }
    }

    static let maximumDepth = 32

    static func parse(_ bytes: [UInt8], secretNames: Set<String> = []) throws(ParseError) -> XMLElement {
        var reader = XMLReader(bytes: bytes, secretNames: secretNames)
        return try reader.document()
    }
}

private struct XMLReader {
    let bytes: [UInt8]
    let secretNames: Set<String>
    var position = 0

    init(bytes: [UInt8], secretNames: Set<String>) {
        self.bytes = bytes
        self.secretNames = secretNames
    }

    private func fail(_ reason: String) -> XMLElement.ParseError { XMLElement.ParseError(offset: position, reason: reason) }

    private func starts(with text: String) -> Bool {
        let utf8 = Array(text.utf8)
        return position + utf8.count <= bytes.count && Array(bytes[position..<(position + utf8.count)]) == utf8
    }

    private mutating func skip(past text: String) throws(XMLElement.ParseError) {
        let utf8 = Array(text.utf8)
        while position + utf8.count <= bytes.count {
            if bytes[position..<(position + utf8.count)].elementsEqual(utf8) {
                position += utf8.count
                return
            }
            position += 1
        }
        throw fail("unterminated markup, expected \(text)")
    }

    private mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    /// Skips the prolog (declaration, comments, doctype) and reads the root element.
    mutating func document() throws(XMLElement.ParseError) -> XMLElement {
        while true {
            skipWhitespace()
            if starts(with: "<?") {
                try skip(past: "?>")
            } else if starts(with: "<!--") {
                try skip(past: "-->")
            } else if starts(with: "<!") {
                try skip(past: ">")
            } else {
                break
            }
        }
        guard starts(with: "<") else { throw fail("expected an element") }
        return try element(depth: 0)
    }

    private mutating func name() throws(XMLElement.ParseError) -> String {
        let start = position
        while position < bytes.count, !([0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ">"), UInt8(ascii: "/")].contains(bytes[position])) {
            position += 1
        }
        guard position > start else { throw fail("expected a name") }
        let full = bytes[start..<position]
        let local = full.lastIndex(of: UInt8(ascii: ":")).map { full[(full.index(after: $0))...] } ?? full
        return String(decoding: local, as: UTF8.self)
    }

    /// At `<`: reads the element and everything inside it.
    private mutating func element(depth: Int) throws(XMLElement.ParseError) -> XMLElement {
        guard depth < XMLElement.maximumDepth else { throw fail("nested too deeply") }
        position += 1
        var element = XMLElement(name: try name())
        // attributes: read past, honouring quotes so that a '>' inside one does not end the tag
        var quote: UInt8? = nil
        while true {
            guard position < bytes.count else { throw fail("unterminated start tag") }
            let byte = bytes[position]
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: "/") && position + 1 < bytes.count && bytes[position + 1] == UInt8(ascii: ">") {
                position += 2
                return element
            } else if byte == UInt8(ascii: ">") {
                position += 1
                break
            }
            position += 1
        }
        var text: [UInt8] = []
        defer { text.wipe() }
        while true {
            guard position < bytes.count else { throw fail("element \(element.name) is not closed") }
            if starts(with: "</") {
                position += 2
                let closing = try name()
                guard closing == element.name else { throw fail("</\(closing)> closes <\(element.name)>") }
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ">") else { throw fail("malformed end tag") }
                position += 1
                if secretNames.contains(element.name) {
                    element.secret = SecretBytes(text)
                } else {
                    element.text = String(decoding: text, as: UTF8.self)
                }
                return element
            } else if starts(with: "<!--") {
                try skip(past: "-->")
            } else if starts(with: "<![CDATA[") {
                position += 9
                let start = position
                try skip(past: "]]>")
                text += bytes[start..<(position - 3)]
            } else if starts(with: "<?") {
                try skip(past: "?>")
            } else if bytes[position] == UInt8(ascii: "<") {
                element.children.append(try self.element(depth: depth + 1))
            } else if bytes[position] == UInt8(ascii: "&") {
                text += try entity()
            } else {
                text.append(bytes[position])
                position += 1
            }
        }
    }

    /// At `&`: the five predefined entities and numeric character references.
    private mutating func entity() throws(XMLElement.ParseError) -> [UInt8] {
        guard let end = bytes[position...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else { throw fail("unterminated entity") }
        let body = String(decoding: bytes[(position + 1)..<end], as: UTF8.self)
        position = end + 1
        switch body {
        case "amp": return [UInt8(ascii: "&")]
        case "lt": return [UInt8(ascii: "<")]
        case "gt": return [UInt8(ascii: ">")]
        case "quot": return [UInt8(ascii: "\"")]
        case "apos": return [UInt8(ascii: "'")]
        default:
            let value: UInt32?
            if body.hasPrefix("#x") || body.hasPrefix("#X") {
                value = UInt32(body.dropFirst(2), radix: 16)
            } else if body.hasPrefix("#") {
                value = UInt32(body.dropFirst(), radix: 10)
            } else {
                value = nil
            }
            guard let value, let scalar = Unicode.Scalar(value) else { throw fail("unknown entity &\(body);") }
            return Array(String(Character(scalar)).utf8)
        }
    }
}
