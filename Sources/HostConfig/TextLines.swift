/// The configuration files adjoin edits, taken as lines: the final newline ends the last line instead
/// of starting an empty one, and every line gets its newline back when the file is written.
enum TextLines {
    static func split(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    static func join(_ lines: [String]) -> String {
        lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }
}

/// Sections of `[name]`-headed files (krb5.conf, sssd.conf), which differ only in how a header reads.
extension Array where Element == String {
    /// The lines of the first section that `sectionName` calls `name`, header excluded: up to the next
    /// header or the end.
    func sectionRange(_ name: String, sectionName: (String) -> String?) -> Range<Int>? {
        guard let header = firstIndex(where: { sectionName($0) == name }) else { return nil }
        let end = self[(header + 1)...].firstIndex { sectionName($0) != nil } ?? count
        return (header + 1)..<end
    }

    /// Adds `[name]` at the end, after a blank line, and returns the new section's (empty) range.
    mutating func appendSection(_ name: String) -> Range<Int> {
        if let last, !last.trimmingWhitespace().isEmpty { append("") }
        append("[" + name + "]")
        return count..<count
    }

    /// Where to add to a section: after its last non-blank line, so a blank line before the next header stays.
    func endOfContent(in range: Range<Int>) -> Int {
        var point = range.upperBound
        while point > range.lowerBound, self[point - 1].trimmingWhitespace().isEmpty { point -= 1 }
        return point
    }
}
