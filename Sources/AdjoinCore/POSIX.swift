#if canImport(Glibc)
    import Glibc
#endif
internal import CPOSIXShim

/// An errno value. A struct with names for the values adjoin tells apart, not a closed enum: the kernel
/// may answer with any of them.
public struct Errno: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int32

    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// errno as the last failed call left it.
    public static var current: Errno { Errno(errno) }

    public static let interrupted = Errno(EINTR)
    public static let wouldBlock = Errno(EAGAIN)
    public static let noSuchFile = Errno(ENOENT)
    public static let fileExists = Errno(EEXIST)
    public static let notADirectory = Errno(ENOTDIR)
    public static let inProgress = Errno(EINPROGRESS)
    public static let brokenPipe = Errno(EPIPE)
    public static let connectionReset = Errno(ECONNRESET)
    public static let timedOut = Errno(ETIMEDOUT)

    /// strerror's text, as messages have always shown it.
    public var description: String { String(cString: strerror(rawValue)) }
}

/// A failed system call: which one, and errno right after it.
public struct POSIXFailure: Error, Sendable, CustomStringConvertible {
    public let call: String
    public let errno: Errno

    public init(_ call: String, _ errno: Errno) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call): \(errno)" }
}

/// The system calls adjoin makes on descriptors, each retried here (and only here) when a signal
/// interrupts it, and failing with the call's name and errno. Callers keep their own decisions
/// (EAGAIN, EPIPE, a time-out) and their own messages.
public enum POSIX {
    /// Runs `body` again while it fails with EINTR. Its result when not negative, else the failure.
    public static func retrying<Result: BinaryInteger>(_ call: String, _ body: () -> Result) throws(POSIXFailure) -> Result {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = Errno.current
            if code != .interrupted { throw POSIXFailure(call, code) }
        }
    }

    /// One read(2): the byte count, 0 at end of file.
    public static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(POSIXFailure) -> Int {
        try retrying("read") { Glibc.read(descriptor, buffer.baseAddress, buffer.count) }
    }

    /// write(2) until every byte is written.
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(POSIXFailure) {
        var written = 0
        while written < bytes.count {
            written += try retrying("write") { Glibc.write(descriptor, bytes.baseAddress! + written, bytes.count - written) }
        }
    }

    /// One send(2) of what is left of `bytes` after `offset`; MSG_NOSIGNAL always (a closed peer is EPIPE, not a SIGPIPE).
    public static func send(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, from offset: Int = 0) throws(POSIXFailure) -> Int {
        try retrying("send") { Glibc.send(descriptor, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
    }

    /// One recv(2) into `buffer`: the byte count, 0 when the peer closed.
    public static func receive(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(POSIXFailure) -> Int {
        try retrying("recv") { recv(descriptor, buffer.baseAddress, buffer.count, 0) }
    }

    /// poll(2): how many descriptors are ready, 0 when the time-out passed first. `milliseconds` is read
    /// again for each try, so a wait that a signal cut short resumes with what is left of a deadline.
    public static func poll(_ descriptors: inout [pollfd], milliseconds: @autoclosure () -> Int32) throws(POSIXFailure) -> Int32 {
        let count = nfds_t(descriptors.count)
        return try retrying("poll") { Glibc.poll(&descriptors, count, milliseconds()) }
    }

    /// waitpid(2) for `pid`, blocking: its wait status.
    public static func wait(for pid: pid_t) throws(POSIXFailure) -> Int32 {
        var status: Int32 = 0
        _ = try retrying("waitpid") { waitpid(pid, &status, 0) }
        return status
    }

    /// nanosleep(2) for the whole duration: after a signal, it sleeps what was left (not the whole again).
    public static func sleep(_ duration: Duration) {
        var request = timespec(tv_sec: Int(duration.components.seconds), tv_nsec: Int(duration.components.attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && Errno.current == .interrupted { request = remaining }
    }

    /// An anonymous file in memory (memfd_create, close-on-exec), for configuration that a library will
    /// only read from a path (/proc/self/fd/N).
    public static func memoryFile(named name: String) throws(POSIXFailure) -> Int32 {
        try retrying("memfd_create") { adjoin_memory_file(name) }
    }
}
