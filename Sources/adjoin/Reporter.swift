import AdjoinCore
#if canImport(Glibc)
import Glibc
#endif

/// Where a command's words go: progress to standard error, the result to standard output.
struct Reporter: Sendable {
    let format: OutputFormat
    let quiet: Bool

    var progress: @Sendable (String) -> Void {
        let quiet = self.quiet
        return { line in
            if !quiet { Reporter.writeError("adjoin: \(line)\n") }
        }
    }

    func success(lines: [(String, String)], json: JSON) {
        switch format {
        case .json:
            Reporter.writeOut(json.serialized(pretty: true) + "\n")
        case .text:
            let width = (lines.map(\.0.count).max() ?? 0) + 1
            for (key, value) in lines {
                Reporter.writeOut(key + ":" + String(repeating: " ", count: width - key.count) + " " + value + "\n")
            }
        }
    }

    /// Reports a failure and returns the exit code to end with.
    func failure(_ error: AdjoinError, domain: String?, elapsed: Duration) -> Int32 {
        switch format {
        case .json:
            let object = JSON.object([
                ("status", .string(error.status.rawValue)),
                ("domain", .optional(domain)),
                ("durationMs", .number(elapsed.milliseconds)),
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
    private static func write(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }
}
