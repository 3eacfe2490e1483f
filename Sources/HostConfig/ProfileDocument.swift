/// A krb5.conf (MIT profile syntax) edited in place, line by line, so that everything adjoin does not
/// set (other realms, other settings, comments, include directives, layout) stays exactly as it was.
struct ProfileDocument {
    private(set) var lines: [String]

    init(text: String) {
        lines = TextLines.split(text)
    }

    var text: String { TextLines.join(lines) }

    /// Sets `tag = value` at the top level of `section`, replacing the first such relation and
    /// removing repeats (MIT would take the first; a stale repeat would only mislead a reader).
    mutating func set(_ tag: String, _ value: String, in section: String) {
        let range = sectionRange(section) ?? lines.appendSection(section)
        let matches = topLevelLines(in: range).filter { relationTag(lines[$0]) == tag && !opensBlock(lines[$0]) }
        if let first = matches.first {
            lines[first] = leadingWhitespace(lines[first]) + tag + " = " + value
            for index in matches.dropFirst().reversed() { lines.remove(at: index) }
        } else {
            lines.insert(indentation(in: range) + tag + " = " + value, at: lines.endOfContent(in: range))
        }
    }

    /// Replaces the block `tag = { ... }` at the top level of `section` with `body`, or adds it.
    mutating func setBlock(_ tag: String, body: [(String, String)], in section: String) {
        let range = sectionRange(section) ?? lines.appendSection(section)
        let indent = indentation(in: range)
        let block = [indent + tag + " = {"] + body.map { indent + indent + $0.0 + " = " + $0.1 } + [indent + "}"]
        if let start = topLevelLines(in: range).first(where: { relationTag(lines[$0]) == tag && opensBlock(lines[$0]) }),
            let end = closingLine(of: start, before: range.upperBound)
        {
            lines.replaceSubrange(start...end, with: block)
        } else {
            lines.insert(contentsOf: block, at: lines.endOfContent(in: range))
        }
    }

    /// The value of the first `tag = value` at the top level of `section` (what MIT reads), or nil.
    func value(_ tag: String, in section: String) -> String? {
        guard let range = sectionRange(section),
            let index = topLevelLines(in: range).first(where: { relationTag(lines[$0]) == tag && !opensBlock(lines[$0]) }),
            let equals = lines[index].firstIndex(of: "=")
        else { return nil }
        return lines[index][lines[index].index(after: equals)...].trimmingWhitespace()
    }

    /// Whether `section` holds a block `tag = { ... }` at its top level.
    func hasBlock(_ tag: String, in section: String) -> Bool {
        guard let range = sectionRange(section) else { return false }
        return topLevelLines(in: range).contains { relationTag(lines[$0]) == tag && opensBlock(lines[$0]) }
    }

    // MARK: - Reading the structure

    private func sectionRange(_ section: String) -> Range<Int>? {
        lines.sectionRange(section, sectionName: sectionName)
    }

    /// Indexes of the relations at depth 0 of a section (not inside a `{ }` block, not comments).
    private func topLevelLines(in range: Range<Int>) -> [Int] {
        var depth = 0
        var result: [Int] = []
        for index in range {
            let line = lines[index].trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("}") {
                depth = max(0, depth - 1)
                continue
            }
            if depth == 0 { result.append(index) }
            if opensBlock(lines[index]) { depth += 1 }
        }
        return result
    }

    private func closingLine(of start: Int, before end: Int) -> Int? {
        var depth = 0
        for index in start..<end {
            let line = lines[index].trimmingWhitespace()
            if line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if opensBlock(lines[index]) { depth += 1 }
            if line.hasPrefix("}") {
                depth -= 1
                if depth == 0 { return index }
            }
        }
        return nil
    }

    /// The indentation the section already uses, or a tab (as MIT's own examples).
    private func indentation(in range: Range<Int>) -> String {
        for index in topLevelLines(in: range) {
            let indent = leadingWhitespace(lines[index])
            if !indent.isEmpty { return indent }
        }
        return "\t"
    }

    /// MIT's header may be followed by `*` (final): `[libdefaults]*`.
    private func sectionName(_ line: String) -> String? {
        let trimmed = line.trimmingWhitespace()
        guard trimmed.hasPrefix("["), let close = trimmed.firstIndex(of: "]") else { return nil }
        return String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
    }

    private func relationTag(_ line: String) -> String? {
        guard let equals = line.firstIndex(of: "=") else { return nil }
        return line[..<equals].trimmingWhitespace()
    }

    private func opensBlock(_ line: String) -> Bool {
        guard let equals = line.firstIndex(of: "=") else { return false }
        return line[line.index(after: equals)...].trimmingWhitespace().hasPrefix("{")
    }

    private func leadingWhitespace(_ line: String) -> String {
        String(line.prefix { $0 == " " || $0 == "\t" })
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
