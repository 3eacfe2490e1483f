import AdjoinCore
import Agent
#if canImport(Glibc)
    import Glibc
#endif

/// Where a command's words go: progress to standard error, the result to standard output.
struct Reporter: Sendable {
    let format: OutputFormat
    let quiet: Bool

    var progress: ProgressSink {
        let quiet = self.quiet
        return { line in
            if !quiet { Reporter.writeError("adjoin: \(line)\n") }
        }
    }

    func print(_ report: CommandReport) {
        if let verbatim = report.verbatim { return Reporter.writeOut(verbatim) }
        switch format {
        case .json:
            Reporter.writeOut(report.json.serialized(pretty: true) + "\n")
        case .text:
            let lines = report.lines
            let width = (lines.map(\.0.count).max() ?? 0) + 1
            for (key, value) in lines {
                Reporter.writeOut(key + ":" + String(repeating: " ", count: width - key.count) + " " + value + "\n")
            }
        }
    }

    /// Reports a failure and returns the exit code to end with.
    func failure(_ failure: CommandFailure) -> Int32 {
        let error = failure.error
        switch format {
        case .json:
            let object = JSON.object([
                ("status", .string(error.status.rawValue)),
                ("domain", .optional(failure.domain)),
                ("durationMs", .number(failure.elapsed.milliseconds)),
                ("message", .string(error.message)),
            ])
            Reporter.writeOut(object.serialized(pretty: true) + "\n")
        case .text:
            Reporter.writeError("adjoin: \(error.status): \(error.message)\n")
        }
        return error.status.exitCode
    }

    static func writeOut(_ text: String) { write(text, to: STDOUT_FILENO) }
    static func writeError(_ text: String) { write(text, to: STDERR_FILENO) }

    /// Unbuffered, so progress and results interleave in order and nothing is lost if the process ends.
    /// A closed or full output is not an error of the command's: what could not be written is dropped.
    private static func write(_ text: String, to descriptor: Int32) {
        Array(text.utf8).withUnsafeBytes { bytes in try? POSIX.writeAll(descriptor, bytes) }
    }
}
