import Foundation
import TestSupport
@testable import HostConfig
import Testing

/// GNU diff is the oracle: for the same two files, `diff -u` must print the same hunks.
@Suite struct UnifiedDiffTests {
    @Test(arguments: 0..<40)
    func agreesWithGNUDiff(seed: Int) throws {
        var generator = SplitMix64(seed: UInt64(seed))
        let old = (0..<Int(generator.next() % 40)).map { _ in "line \(generator.next() % 12)" }
        var new = old
        for _ in 0..<Int(generator.next() % 6) {
            let position = new.isEmpty ? 0 : Int(generator.next() % UInt64(new.count + 1))
            if generator.next() % 2 == 0 || new.isEmpty || position == new.count {
                new.insert("added \(generator.next() % 100)", at: position)
            } else {
                new.remove(at: position)
            }
        }
        let oldText = old.map { $0 + "\n" }.joined()
        let newText = new.map { $0 + "\n" }.joined()
        let ours = UnifiedDiff.make(old: oldText, new: newText, path: "/etc/x")
        let theirs = try gnuDiff(oldText, newText)
        // The hunk contents may differ where several minimal diffs exist; their sizes may not.
        #expect(changedLines(ours) == changedLines(theirs))
        #expect(hunkHeaders(ours).count == hunkHeaders(theirs).count)
    }

    @Test func exactOutputForOneChange() {
        let diff = UnifiedDiff.make(old: "a\nb\nc\nd\ne\nf\ng\nh\n", new: "a\nb\nc\nd\nE\nf\ng\nh\n", path: "/etc/x")
        #expect(diff == "--- /etc/x\n+++ /etc/x\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n")
        #expect(UnifiedDiff.make(old: nil, new: "x\n", path: "/etc/new") == "--- /dev/null\n+++ /etc/new\n@@ -0,0 +1 @@\n+x\n")
    }

    private func gnuDiff(_ old: String, _ new: String) throws -> String {
        let scratch = ScratchRoot("adjoin-diff")
        defer { scratch.remove() }
        let directory = scratch.url
        try old.write(to: directory.appendingPathComponent("old"), atomically: true, encoding: .utf8)
        try new.write(to: directory.appendingPathComponent("new"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/diff")
        process.arguments = ["-u", directory.appendingPathComponent("old").path, directory.appendingPathComponent("new").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self)
    }

    private func changedLines(_ diff: String) -> [Int] {
        let lines = diff.split(separator: "\n").dropFirst(2)
        return [lines.filter { $0.hasPrefix("-") }.count, lines.filter { $0.hasPrefix("+") }.count]
    }

    private func hunkHeaders(_ diff: String) -> [Substring] {
        diff.split(separator: "\n").filter { $0.hasPrefix("@@") }
    }
}
