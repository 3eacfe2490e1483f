#if canImport(Glibc)
    import Glibc
#endif
import AdjoinCore

/// The image's sshd configuration as read from its files, without running sshd (at boot sshd may not
/// be able to run yet: no host keys, no /run/sshd): whether the main file includes adjoin's drop-in,
/// and the global value sshd would take for a keyword (the first one read outside a Match block).
struct SSHServerConfiguration {
    static let mainPath = "/etc/ssh/sshd_config"

    /// The configuration's lines in the order sshd reads them, each with whether a Match block holds it.
    private(set) var lines: [(words: [Substring], inMatch: Bool)] = []
    /// Whether an Include of the main file (or of a file it includes) names adjoin's drop-in.
    private(set) var includesDropIn = false

    init(files: HostFiles) throws(AdjoinError) {
        try read(Self.mainPath, files: files, depth: 0)
    }

    /// The global value sshd keeps for a keyword: the first read outside Match blocks (case-insensitive keyword).
    func globalValue(_ keyword: String) -> String? {
        let keyword = keyword.lowercased()
        return lines.first { !$0.inMatch && $0.words.first?.lowercased() == keyword }.flatMap {
            $0.words.dropFirst().first.map(String.init)
        }
    }

    private mutating func read(_ hostPath: String, files: HostFiles, depth: Int) throws(AdjoinError) {
        // sshd refuses deeper nesting too; a loop of Includes must not loop here.
        guard depth < 8, let bytes = try files.read(hostPath) else { return }
        // A Match block ends at the end of the file it is in (sshd 8.2 and later).
        var inMatch = false
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let words = Self.words(line)
            guard let keyword = words.first?.lowercased() else { continue }
            if keyword == "match" {
                // `Match all` goes back to lines that apply to every connection.
                inMatch = !(words.count == 2 && words[1].lowercased() == "all")
                continue
            }
            if keyword == "include" {
                for pattern in words.dropFirst() {
                    let absolute = pattern.hasPrefix("/") ? String(pattern) : "/etc/ssh/" + pattern
                    if fnmatch(absolute, SSHDropIn.path, 0) == 0 { includesDropIn = true }
                    for included in try Self.expand(absolute, files: files) {
                        try read(included, files: files, depth: depth + 1)
                    }
                }
                continue
            }
            lines.append((words, inMatch))
        }
    }

    /// The files a pattern names, sorted as sshd's glob sorts them; a wildcard only in the last part.
    private static func expand(_ pattern: String, files: HostFiles) throws(AdjoinError) -> [String] {
        guard pattern.contains(where: { "*?[".contains($0) }) else { return [pattern] }
        let slash = pattern.lastIndex(of: "/")!
        let directory = String(pattern[..<slash])
        return try files.files(in: directory).filter { fnmatch(pattern, $0, FNM_PATHNAME) == 0 }
    }

    /// A line's words: blanks separate them, `=` may separate the keyword, double quotes group, `#` starts a comment.
    static func words(_ line: Substring) -> [Substring] {
        var words: [Substring] = []
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if character == " " || character == "\t" || character == "\r" || (character == "=" && words.count == 1) {
                index = line.index(after: index)
            } else if character == "#" && words.isEmpty {
                break
            } else if character == "\"" {
                let start = line.index(after: index)
                let end = line[start...].firstIndex(of: "\"") ?? line.endIndex
                words.append(line[start..<end])
                index = end < line.endIndex ? line.index(after: end) : end
            } else {
                let end =
                    line[index...].firstIndex { $0 == " " || $0 == "\t" || $0 == "\r" || ($0 == "=" && words.isEmpty) } ?? line.endIndex
                words.append(line[index..<end])
                index = end
            }
        }
        return words
    }
}
