import AdjoinCore
import Foundation
import Testing
import TestSupport

/// The status table of docs/troubleshooting.md (where operators look a status up) and the man page's section are copies of what StatusDocumentation makes
/// from Status.swift; each fails here when it drifts. `ADJOIN_WRITE_STATUS_DOCS=1 swift test --filter
/// StatusDocumentationTests` writes them afresh after a status changed.
@Suite struct StatusDocumentationTests {
    struct Copy: Sendable {
        let path: String
        let begin: String
        let end: String
        let make: @Sendable () -> String
    }

    static let copies: [Copy] = [
        Copy(
            path: "docs/troubleshooting.md",
            begin: "<!-- statuses: made from Sources/AdjoinCore/Status.swift; StatusDocumentationTests checks this copy -->\n",
            end: "<!-- statuses end -->", make: StatusDocumentation.markdownTable),
        Copy(
            path: "packaging/man/adjoin.8.in",
            begin: ".\\\" statuses: made from Sources/AdjoinCore/Status.swift; StatusDocumentationTests checks this copy\n",
            end: ".\\\" statuses end", make: StatusDocumentation.manPageEntries),
    ]

    @Test(arguments: copies.indices)
    func theCopyIsWhatStatusSwiftSays(_ index: Int) throws {
        let copy = Self.copies[index]
        let url = LabEnvironment.packageRoot.appendingPathComponent(copy.path)
        let text = try String(contentsOf: url, encoding: .utf8)
        let begin = try #require(text.range(of: copy.begin), "\(copy.path) has no status marker")
        let end = try #require(text.range(of: copy.end, range: begin.upperBound..<text.endIndex), "\(copy.path) has no end marker")
        let expected = copy.make()
        if ProcessInfo.processInfo.environment["ADJOIN_WRITE_STATUS_DOCS"] == "1" {
            try (String(text[..<begin.upperBound]) + expected + String(text[end.lowerBound...])).write(
                to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(
            String(text[begin.upperBound..<end.lowerBound]) == expected,
            "\(copy.path) drifted from Status.swift: run ADJOIN_WRITE_STATUS_DOCS=1 swift test --filter StatusDocumentationTests")
    }

    @Test func everyStatusIsDocumentedOnceWithItsOwnCode() {
        var codes: [Int32: String] = [:]
        for status in Status.all {
            #expect(!status.meaning.isEmpty, "\(status) has no meaning")
            #expect(status.commands.isEmpty == (status == .joining), "\(status): only JOINING is no command's ending")
            if status.exitCode != 0 {
                #expect(codes[status.exitCode] == nil, "\(status) shares exit code \(status.exitCode) with \(codes[status.exitCode] ?? "")")
                codes[status.exitCode] = status.rawValue
            }
        }
        #expect(Set(Status.all.map(\.rawValue)).count == Status.all.count)
    }

    /// `--help` is read in an 80-column terminal: the table never needs the parser to wrap it again.
    @Test func theHelpTableFitsItsWidth() {
        let lines = StatusDocumentation.helpTable().split(separator: "\n")
        #expect(lines.allSatisfy { $0.count <= 78 }, "\(lines.filter { $0.count > 78 })")
        for status in Status.all {
            #expect(lines.contains { $0.contains(" \(status.exitCode)  \(status.rawValue) ") }, "\(status) is not in the help table")
        }
    }

    /// Each command's exit line names every status that command can end with, and no other.
    @Test(arguments: AdjoinCommand.allCases)
    func eachCommandsExitLineNamesItsStatuses(_ command: AdjoinCommand) {
        let line = StatusDocumentation.exitLine(for: command)
        for status in Status.all {
            let named =
                line.contains(" \(status.rawValue);") || line.contains(" \(status.rawValue) or ")
                || line.contains(" or \(status.rawValue);")
            #expect(named == status.commands.contains(command), "\(command): \(status) in \(line)")
        }
        #expect(line.contains("64 a usage error"))
    }

    /// Every failure has a row in the troubleshooting guide: a new status without one fails here.
    @Test func everyFailureHasATroubleshootingRow() throws {
        let guide = try String(contentsOf: LabEnvironment.packageRoot.appendingPathComponent("docs/troubleshooting.md"), encoding: .utf8)
        for status in Status.all where !status.isSuccess {
            #expect(guide.contains("\n| `\(status.rawValue)` |"), "docs/troubleshooting.md has no row for \(status)")
        }
    }
}
