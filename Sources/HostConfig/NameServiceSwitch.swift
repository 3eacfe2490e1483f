/// /etc/nsswitch.conf: `sss` added to the databases sssd serves, after the sources already there
/// (local accounts keep precedence), everything else left as it was. On systems where authselect
/// manages this file, authselect does it instead.
enum NameServiceSwitch {
    static let path = "/etc/nsswitch.conf"
    static let databases = ["passwd", "group", "shadow", "netgroup", "services", "sudoers"]

    static func render(over current: String?) -> String {
        var lines = TextLines.split(current ?? "")
        var seen: Set<String> = []
        for (index, line) in lines.enumerated() {
            guard let (database, sources) = entry(line), databases.contains(database), !seen.contains(database) else { continue }
            seen.insert(database)
            let words = sources.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.contains("sss") { continue }
            if let comment = line.firstIndex(of: "#") {
                lines[index] = line[..<comment].trimmingWhitespace() + " sss " + line[comment...]
            } else {
                lines[index] = line.trimmingWhitespace() + " sss"
            }
        }
        for database in databases where !seen.contains(database) {
            let padding = String(repeating: " ", count: max(1, 16 - database.count - 1))
            lines.append(database + ":" + padding + "files sss")
        }
        return TextLines.join(lines)
    }

    /// The sources of `database` as the C library reads them: its first line's, comments left out.
    static func sources(of database: String, in text: String) -> [Substring] {
        guard let line = TextLines.split(text).first(where: { entry($0)?.0 == database }), let (_, sources) = entry(line) else { return [] }
        return sources.split(whereSeparator: { $0 == " " || $0 == "\t" })
    }

    private static func entry(_ line: String) -> (String, Substring)? {
        let trimmed = line.trimmingWhitespace()
        guard !trimmed.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { return nil }
        let database = line[..<colon].trimmingWhitespace()
        guard !database.isEmpty, !database.contains(" ") else { return nil }
        var sources = line[line.index(after: colon)...]
        if let comment = sources.firstIndex(of: "#") { sources = sources[..<comment] }
        return (database, sources)
    }
}
