#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A password or key in memory: one copy, wiped when released, and never shown. Its description is
/// a placeholder, so interpolating it into a message or log by mistake prints nothing secret.
public final class SecretBytes: @unchecked Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    // Immutable after init; the extra NUL byte lets C APIs that take `const char *` read it in place.
    private let storage: UnsafeMutableRawBufferPointer
    public let count: Int

    public init(_ bytes: some Collection<UInt8>) {
        count = bytes.count
        storage = .allocate(byteCount: count + 1, alignment: 1)
        storage.copyBytes(from: bytes)
        storage[count] = 0
    }

    deinit {
        explicit_bzero(storage.baseAddress!, storage.count)
        storage.deallocate()
    }

    public var description: String { "<secret>" }
    public var debugDescription: String { "<secret>" }
    public var isEmpty: Bool { count == 0 }
    /// Kerberos takes a password as a C string, where a NUL would silently cut it short.
    public var containsNUL: Bool { withUnsafeBytes { $0.contains(0) } }

    /// Lends the bytes (without the trailing NUL) for the duration of `body`.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
    }

    /// Lends the bytes as a NUL-terminated C string for the duration of `body`.
    public func withCString<R, E: Error>(_ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
        try body(storage.baseAddress!.assumingMemoryBound(to: CChar.self))
    }

    /// Reads a secret from a file descriptor (standard input for `--password-stdin`): everything up to
    /// end of file or the first newline, at most `limit` bytes. Nothing passes through a String.
    public static func read(from descriptor: Int32, limit: Int = 1024) throws(AdjoinError) -> SecretBytes {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: limit + 1, alignment: 1)
        defer {
            explicit_bzero(buffer.baseAddress!, buffer.count)
            buffer.deallocate()
        }
        var length = 0
        while length <= limit {
            let got = Glibc.read(descriptor, buffer.baseAddress! + length, 1)
            if got < 0 {
                if errno == EINTR { continue }
                throw .invalidInput("cannot read the password from standard input: \(String(cString: strerror(errno)))")
            }
            if got == 0 || buffer[length] == UInt8(ascii: "\n") { break }
            length += 1
        }
        guard length <= limit else { throw .invalidInput("the password on standard input is longer than \(limit) bytes") }
        if length > 0, buffer[length - 1] == UInt8(ascii: "\r") { length -= 1 }
        guard length > 0 else { throw .invalidInput("no password on standard input") }
        // Kerberos takes a password as a C string: one with a NUL would be cut there, silently.
        guard !UnsafeRawBufferPointer(rebasing: buffer[0..<length]).contains(0) else {
            throw .invalidInput("the password on standard input contains a NUL byte")
        }
        return SecretBytes(UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
    }
}

extension Array where Element == UInt8 {
    /// Overwrites the bytes in place, for buffers that held a password or key on their way elsewhere.
    public mutating func wipe() {
        for index in indices { self[index] = 0 }
    }
}
