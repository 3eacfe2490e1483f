#if canImport(Glibc)
    import Glibc
#endif

/// A distro tool run for host configuration (pam-auth-update, authselect, visudo, systemctl): started
/// with posix_spawn from an argument vector, never through a shell, with a fixed environment (so that
/// nothing of the caller's environment, and no secret, reaches it), standard input from /dev/null (or
/// a secret written into a pipe: a password is never in argv or the environment), and its output collected. A child still running when the deadline passes is killed.
public struct ChildProcess: Sendable {
    public struct Result: Sendable {
        public let exitStatus: Int32
        /// Standard output and standard error, interleaved as written.
        public let output: String
        public var succeeded: Bool { exitStatus == 0 }
    }

    public static let searchPath = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]

    public let arguments: [String]
    public var environment: [String] = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]
    /// Standard error goes where the agent's own goes instead of into the output: for a program whose
    /// standard output is data (a `credential_process`), while its messages are for the operator.
    public var inheritsStandardError = false
    /// Written to the child's standard input, which is then closed (a password for `net changesecretpw -i`);
    /// nil: /dev/null. Through a pipe, never a file, an argument or the environment.
    public var standardInput: SecretBytes?

    public init(_ arguments: [String]) {
        precondition(!arguments.isEmpty)
        self.arguments = arguments
    }

    /// The program's full path, if it is installed in the standard directories under `root`.
    public static func locate(_ program: String, root: String = "/") -> String? {
        let prefix = root == "/" ? "" : root
        return searchPath.map { $0 + "/" + program }.first { access(prefix + $0, X_OK) == 0 }
    }

    public func run(deadline: Deadline) throws(AdjoinError) -> Result {
        let (exitStatus, output) = try runCollectingBytes(deadline: deadline)
        return Result(exitStatus: exitStatus, output: String(decoding: output, as: UTF8.self))
    }

    /// The exit status and the output's bytes, for output that must not become a String (credentials);
    /// the caller wipes them.
    public func runCollectingBytes(deadline: Deadline) throws(AdjoinError) -> (exitStatus: Int32, output: [UInt8]) {
        var pipeEnds: [Int32] = [0, 0]
        // pipe2 is hidden without _GNU_SOURCE; the agent starts no thread that could fork in between.
        guard pipe(&pipeEnds) == 0 else { throw failure("cannot create a pipe") }
        _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
        defer { close(pipeEnds[0]) }

        var inputEnds: [Int32] = [-1, -1]
        if let standardInput {
            // The whole secret must fit in the pipe's buffer, as it is written before the output is read.
            guard standardInput.count < 4096 else { throw AdjoinError(.unknownError, "standard input for \(arguments[0]) is too long") }
            guard pipe(&inputEnds) == 0 else { throw failure("cannot create a pipe") }
            _ = fcntl(inputEnds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(inputEnds[1], F_SETFD, FD_CLOEXEC)
        }
        defer { for end in inputEnds where end >= 0 { close(end) } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if standardInput != nil {
            posix_spawn_file_actions_adddup2(&actions, inputEnds[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        if !inheritsStandardError { posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2) }

        var pid: pid_t = 0
        let status = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
            }
        }
        close(pipeEnds[1])
        guard status == 0 else {
            throw AdjoinError(.unknownError, "cannot run \(arguments[0]): \(Errno(status))")
        }
        if let standardInput {
            close(inputEnds[0])
            inputEnds[0] = -1
            // Less than a pipe's buffer: the write completes without the child reading (a child that exits
            // first makes it fail with EPIPE, which its exit status then reports).
            let previous = signal(SIGPIPE, SIG_IGN)
            _ = standardInput.withUnsafeBytes { write(inputEnds[1], $0.baseAddress, $0.count) }
            signal(SIGPIPE, previous)
            close(inputEnds[1])
            inputEnds[1] = -1
        }

        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        defer { chunk.wipe() }
        var timedOut = false
        while true {
            var descriptors = [pollfd(fd: pipeEnds[0], events: Int16(POLLIN), revents: 0)]
            let ready = (try? POSIX.poll(&descriptors, milliseconds: deadline.remainingMilliseconds)) ?? -1
            if ready <= 0 {
                timedOut = true
                kill(pid, SIGKILL)
                break
            }
            let count = chunk.withUnsafeMutableBytes { (try? POSIX.read(pipeEnds[0], into: $0)) ?? -1 }
            if count <= 0 { break }
            output += chunk[0..<count]
        }
        let waitStatus = (try? POSIX.wait(for: pid)) ?? 0
        if timedOut {
            throw .timeout("\(arguments[0]) did not finish within the time budget")
        }
        // WIFEXITED/WEXITSTATUS are macros; a signal death is reported as 128 + signal, as shells do.
        let exitStatus = waitStatus & 0x7f == 0 ? (waitStatus >> 8) & 0xff : 128 + (waitStatus & 0x7f)
        return (exitStatus, output)
    }

    /// The command as people would type it, for progress lines and dry runs.
    public var commandLine: String { arguments.joined(separator: " ") }

    private func failure(_ what: String) -> AdjoinError {
        AdjoinError(.unknownError, "\(what) for \(arguments[0]): \(Errno.current.description)")
    }
}

/// A NULL-terminated array of C strings that lives for the duration of `body`.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}
