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
}
