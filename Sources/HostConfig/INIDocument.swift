/// An INI file as sssd reads it (`[section]`, `key = value`, `#`/`;` comments), edited in place so
/// that other sections, comments and layout stay as they were.
struct INIDocument {
    private(set) var lines: [String]

    init(text: String) {
        lines = TextLines.split(text)
    }

    var text: String { TextLines.join(lines) }

    func value(_ key: String, in section: String) -> String? {
        guard let range = range(of: section) else { return nil }
        return range.lazy.compactMap { self.entry(self.lines[$0]) }.first { $0.key == key }?.value
    }

    /// Sets `key = value` in `section` (created at the end if missing), replacing the first such key.
    mutating func set(_ key: String, _ value: String, in section: String) {
        let range = range(of: section) ?? lines.appendSection(section)
        let matches = range.filter { entry(lines[$0])?.key == key }
        if let first = matches.first {
            lines[first] = key + " = " + value
            for index in matches.dropFirst().reversed() { lines.remove(at: index) }
        } else {
            lines.insert(key + " = " + value, at: lines.endOfContent(in: range))
        }
    }

    /// Replaces a whole section (adjoin owns it) with `entries`, or adds it at the end.
    mutating func replaceSection(_ section: String, with entries: [(String, String)]) {
        let body = entries.map { $0.0 + " = " + $0.1 }
        if let range = range(of: section) {
            let end = lines.endOfContent(in: range)
            lines.replaceSubrange(range.lowerBound..<end, with: body)
        } else {
            let range = lines.appendSection(section)
            lines.insert(contentsOf: body, at: range.lowerBound)
        }
    }

    private func range(of section: String) -> Range<Int>? {
        lines.sectionRange(section, sectionName: sectionName)
    }

    /// sssd's header is the whole line: `[domain/corp.example.com]`.
    private func sectionName(_ line: String) -> String? {
        let trimmed = line.trimmingWhitespace()
        guard trimmed.hasPrefix("["), trimmed.hasSuffix("]") else { return nil }
        return String(trimmed.dropFirst().dropLast()).trimmingWhitespace()
    }

    private func entry(_ line: String) -> (key: String, value: String)? {
        let trimmed = line.trimmingWhitespace()
        guard !trimmed.hasPrefix("#"), !trimmed.hasPrefix(";"), let equals = trimmed.firstIndex(of: "=") else { return nil }
        return (trimmed[..<equals].trimmingWhitespace(), trimmed[trimmed.index(after: equals)...].trimmingWhitespace())
    }
}
