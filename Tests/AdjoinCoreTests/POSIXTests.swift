import Foundation
import Testing
@testable import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif

@Suite struct POSIXTests {
    @Test func aFailedCallNamesItselfAndItsErrno() {
        var buffer = [UInt8](repeating: 0, count: 8)
        let failure = #expect(throws: POSIXFailure.self) {
            _ = try buffer.withUnsafeMutableBytes { try POSIX.read(-1, into: $0) }
        }
        #expect(failure?.call == "read")
        #expect(failure?.errno == Errno(EBADF))
        #expect(failure?.description == "read: Bad file descriptor")
    }

    @Test func writeAllWritesEveryByteAndReadReadsThemBack() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let bytes = Array("krb5.conf text".utf8)
        try bytes.withUnsafeBytes { try POSIX.writeAll(ends[1], $0) }
        close(ends[1])
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = try buffer.withUnsafeMutableBytes { try POSIX.read(ends[0], into: $0) }
        #expect(Array(buffer.prefix(count)) == bytes)
        #expect(try buffer.withUnsafeMutableBytes { try POSIX.read(ends[0], into: $0) } == 0)
    }

    @Test func pollReportsATimeOutAsZero() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        var descriptors = [pollfd(fd: ends[0], events: Int16(POLLIN), revents: 0)]
        #expect(try POSIX.poll(&descriptors, milliseconds: 0) == 0)
        _ = write(ends[1], "x", 1)
        #expect(try POSIX.poll(&descriptors, milliseconds: 0) == 1)
    }

    @Test func memoryFileIsAnOpenDescriptor() throws {
        let descriptor = try POSIX.memoryFile(named: "adjoin-test")
        defer { close(descriptor) }
        #expect(fcntl(descriptor, F_GETFD) & FD_CLOEXEC != 0)
    }

    /// A signal that arrives while read(2) waits (a handler without SA_RESTART) makes it fail with EINTR;
    /// the layer reads again and returns what comes after. The signal is sent only once the reader is
    /// seen asleep in the kernel, and the byte only once it is asleep again, so the EINTR always happens.
    @Test func aReadCutShortByASignalIsRetried() throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        action.sa_flags = 0
        var previous = sigaction()
        try #require(sigaction(SIGUSR2, &action, &previous) == 0)
        defer { sigaction(SIGUSR2, &previous, nil) }
        // The test runner's threads may block signals: this one must take it.
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        sigaddset(&unblocked, SIGUSR2)
        var mask = sigset_t()
        try #require(pthread_sigmask(SIG_UNBLOCK, &unblocked, &mask) == 0)
        defer { pthread_sigmask(SIG_SETMASK, &mask, nil) }

        let reader = pthread_self()
        // "PID/task/TID": this thread's own entry, read from the other thread.
        let task = "/proc/" + (try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) + "/stat"
        // Its own copy of the write end: it may outlive this test when the test fails.
        let writer = dup(ends[1])
        let signalled = Counter()
        Thread.detachNewThread {
            func asleep() -> Bool {
                // The state is the field after the command name's closing parenthesis.
                guard let stat = try? String(contentsOfFile: task, encoding: .utf8), let close = stat.lastIndex(of: ")") else {
                    return false
                }
                return stat[stat.index(close, offsetBy: 2)] == "S"
            }
            for _ in 0..<5000 where !asleep() { usleep(1000) }
            pthread_kill(reader, SIGUSR2)
            signalled.increment()
            usleep(1000)
            for _ in 0..<5000 where !asleep() { usleep(1000) }
            _ = write(writer, "x", 1)
            close(writer)
        }
        var buffer = [UInt8](repeating: 0, count: 8)
        let count = try buffer.withUnsafeMutableBytes { try POSIX.read(ends[0], into: $0) }
        #expect(signalled.value == 1)
        #expect(count == 1 && buffer[0] == UInt8(ascii: "x"))
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
