/// Every place that lists the statuses is made here from `Status.all`: the table in `adjoin --help`, each
/// command's exit line, docs/troubleshooting.md's table and the man page's section. A status's meaning is written once.
public enum StatusDocumentation {
    /// `adjoin --help`'s table: code, word, and the meaning wrapped to `width` columns.
    public static func helpTable(width: Int = 78) -> String {
        let wordColumn = 5 + (Status.all.map(\.rawValue.count).max() ?? 0) + 2
        var lines: [String] = []
        for status in Status.all {
            let code = String(status.exitCode)
            let head = String(repeating: " ", count: 3 - code.count) + code + "  " + status.rawValue
            let padded = head + String(repeating: " ", count: max(1, wordColumn - head.count))
            lines += wrapped(scoped(status), first: padded, indent: wordColumn, width: width)
        }
        lines += wrapped(Status.usageErrorMeaning, first: " \(Status.usageErrorExitCode)  usage error: ", indent: 5, width: width)
        return lines.joined(separator: "\n")
    }

    /// One command's possible endings, for its own `--help`: "Exit status: 0 DETACHED or SKIPPED; 1 UNKNOWN_ERROR; ...".
    public static func exitLine(for command: AdjoinCommand) -> String {
        let statuses = Status.all.filter { $0.commands.contains(command) }
        var byCode: [(Int32, [String])] = []
        for status in statuses {
            if let index = byCode.firstIndex(where: { $0.0 == status.exitCode }) {
                byCode[index].1.append(status.rawValue)
            } else {
                byCode.append((status.exitCode, [status.rawValue]))
            }
        }
        let parts = byCode.sorted { $0.0 < $1.0 }.map { "\($0.0) \($0.1.joined(separator: " or "))" }
        return "Exit status: " + parts.joined(separator: "; ") + "; \(Status.usageErrorExitCode) a usage error. "
            + "`adjoin --help` says what each means."
    }

    /// docs/troubleshooting.md's table (Markdown), one row a status.
    public static func markdownTable() -> String {
        var rows = ["| status | exit | commands | meaning |", "|---|---|---|---|"]
        for status in Status.all {
            let commands = status.commands.isEmpty ? "(status table)" : status.commands.map(\.rawValue).joined(separator: ", ")
            rows.append("| `\(status.rawValue)` | \(status.exitCode) | \(commands) | \(markdown(status.meaning)) |")
        }
        rows.append("| (usage error) | \(Status.usageErrorExitCode) | all | \(markdown(Status.usageErrorMeaning)) |")
        return rows.joined(separator: "\n") + "\n"
    }

    /// The man page's entries (roff `.TP` paragraphs), one a status.
    public static func manPageEntries() -> String {
        var text = ""
        for status in Status.all {
            text += ".TP\n.BR \(status.rawValue) \" (exit \(status.exitCode))\"\n\(roff(scoped(status)))\n"
        }
        text += ".TP\nusage error (exit \(Status.usageErrorExitCode))\n\(roff(Status.usageErrorMeaning))\n"
        return text
    }

    /// The meaning, after the commands it is for when not every command can end with it.
    static func scoped(_ status: Status) -> String {
        guard !status.commands.isEmpty, status.commands.count < AdjoinCommand.allCases.count else { return status.meaning }
        return "(" + status.commands.map(\.rawValue).joined(separator: ", ") + ") " + status.meaning
    }

    /// Flags, file names and tags in code style; the rest as written.
    static func markdown(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
            let core = String(word).trimming(",;:()")
            guard core.hasPrefix("--") || core.hasPrefix("/") || core.contains("=") else { return String(word) }
            return String(word).replacing(core, with: "`" + core + "`", maxReplacements: 1)
        }.joined(separator: " ")
    }

    /// roff: a backslash is \e, hyphens in flags are real minus signs, and no line starts with a dot.
    static func roff(_ text: String) -> String {
        let escaped = text.replacing("\\", with: "\\e").split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
            word.hasPrefix("--") || word.hasPrefix("(--") ? String(word).replacing("-", with: "\\-") : String(word)
        }.joined(separator: " ")
        return escaped.hasPrefix(".") ? "\\&" + escaped : escaped
    }

    /// `text` in lines of at most `width` columns: the first after `first`, the others indented.
    static func wrapped(_ text: String, first: String, indent: Int, width: Int) -> [String] {
        var lines: [String] = []
        var line = first
        var lineHasWord = false
        for word in text.split(separator: " ") {
            if lineHasWord && line.count + 1 + word.count > width {
                lines.append(line)
                line = String(repeating: " ", count: indent)
                lineHasWord = false
            }
            line += (lineHasWord ? " " : "") + word
            lineHasWord = true
        }
        lines.append(line)
        return lines
    }
}

extension String {
    fileprivate func trimming(_ set: String) -> String {
        var characters = Substring(self)
        while let first = characters.first, set.contains(first) { characters = characters.dropFirst() }
        while let last = characters.last, set.contains(last) { characters = characters.dropLast() }
        return String(characters)
    }

}
