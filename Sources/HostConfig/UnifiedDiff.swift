/// A unified diff (as `diff -u`, three lines of context) of two versions of a file, for `--dry-run`.
enum UnifiedDiff {
    static func make(old: String?, new: String, path: String) -> String {
        let before = TextLines.split(old ?? "")
        let after = TextLines.split(new)
        let edits = script(before, after)
        var output = "--- " + (old == nil ? "/dev/null" : path) + "\n+++ " + path + "\n"
        var index = 0
        while index < edits.count {
            guard edits[index].kind != .same else {
                index += 1
                continue
            }
            // A hunk: this change and every change within 2 × 3 lines of it, with 3 lines around.
            var start = index
            var context = 0
            while start > 0, edits[start - 1].kind == .same, context < 3 {
                start -= 1
                context += 1
            }
            var end = index
            var sameRun = 0
            while end < edits.count {
                if edits[end].kind == .same {
                    sameRun += 1
                    if sameRun > 6 {
                        sameRun -= 1
                        break
                    }
                } else {
                    sameRun = 0
                }
                end += 1
            }
            end -= max(0, sameRun - 3)
            let hunk = edits[start..<end]
            let oldStart = hunk.first.map { $0.oldLine } ?? 0
            let newStart = hunk.first.map { $0.newLine } ?? 0
            let oldCount = hunk.filter { $0.kind != .insert }.count
            let newCount = hunk.filter { $0.kind != .delete }.count
            output += "@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@\n"
            for edit in hunk {
                output += (edit.kind == .same ? " " : edit.kind == .delete ? "-" : "+") + edit.text + "\n"
            }
            index = end
        }
        return output
    }

    private enum Kind { case same, delete, insert }

    private struct Edit {
        let kind: Kind
        let text: String
        /// 1-based line numbers this edit sits at, in the old and the new file.
        let oldLine: Int
        let newLine: Int
    }

    /// The longest common subsequence by dynamic programming: configuration files are small.
    private static func script(_ a: [String], _ b: [String]) -> [Edit] {
        var common = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                common[i][j] = a[i] == b[j] ? common[i + 1][j + 1] + 1 : max(common[i + 1][j], common[i][j + 1])
            }
        }
        var edits: [Edit] = []
        var (i, j) = (0, 0)
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                edits.append(Edit(kind: .same, text: a[i], oldLine: i + 1, newLine: j + 1))
                (i, j) = (i + 1, j + 1)
            } else if i < a.count, j == b.count || common[i + 1][j] >= common[i][j + 1] {
                // Deletions before insertions, as diff prints a changed line.
                edits.append(Edit(kind: .delete, text: a[i], oldLine: i + 1, newLine: j + 1))
                i += 1
            } else {
                edits.append(Edit(kind: .insert, text: b[j], oldLine: i + 1, newLine: j + 1))
                j += 1
            }
        }
        return edits
    }

    /// `start,count` as diff prints it; an empty side starts one line before.
    private static func range(_ start: Int, _ count: Int) -> String {
        count == 0 ? "\(start - 1),0" : count == 1 ? "\(start)" : "\(start),\(count)"
    }
}
