#if canImport(Glibc)
    import Glibc
#endif

/// A password or key in memory: one copy, on pages of its own that are left out of core dumps
/// (MADV_DONTDUMP, which gcore honours too) and locked in RAM where RLIMIT_MEMLOCK allows (never
/// swapped out), wiped when released or as soon as its holder calls `wipe()`, and never shown. Its
/// description is a placeholder, so interpolating it into a message or log by mistake prints nothing
/// secret.
public final class SecretBytes: @unchecked Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    // The bytes do not change after init except to be wiped; the extra NUL byte lets C APIs that take
    // `const char *` read them in place.
    private let storage: UnsafeMutableRawBufferPointer
    public let count: Int

    public init(_ bytes: some Collection<UInt8>) {
        count = bytes.count
        storage = SecretPages.allocate(count + 1)
        storage.copyBytes(from: bytes)
        storage[count] = 0
    }

    /// `count` bytes written in place by `fill`, so that no copy of them exists outside these pages.
    public init(count: Int, fill: (UnsafeMutableRawBufferPointer) -> Void) {
        self.count = count
        storage = SecretPages.allocate(count + 1)
        fill(UnsafeMutableRawBufferPointer(rebasing: storage[0..<count]))
        storage[count] = 0
    }

    deinit {
        SecretPages.release(storage)
    }

    /// A second copy on pages of its own, for a holder that hands one on (to be wiped) and keeps the other.
    public func copy() -> SecretBytes {
        withUnsafeBytes { SecretBytes($0) }
    }

    /// Zeroes the bytes now, for a holder that has handed them on (to libkrb5) and needs them no more.
    /// What is lent afterwards is zeros.
    public func wipe() {
        explicit_bzero(storage.baseAddress!, storage.count)
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
        let buffer = SecretPages.allocate(limit + 1)
        defer { SecretPages.release(buffer) }
        var length = 0
        while length <= limit {
            let got: Int
            do {
                got = try POSIX.read(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: buffer[length..<length + 1]))
            } catch {
                throw .invalidInput("cannot read the password from standard input: \(error.errno)")
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

/// Memory for secrets: whole pages from mmap, so that no other data shares them and their dump and
/// lock flags cover the secret alone.
enum SecretPages {
    static func allocate(_ byteCount: Int) -> UnsafeMutableRawBufferPointer {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let length = max(page, (byteCount + page - 1) / page * page)
        guard let base = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), base != MAP_FAILED else {
            fatalError("cannot map \(length) bytes for a secret: \(Errno.current.description)")
        }
        _ = madvise(base, length, MADV_DONTDUMP)
        // Best effort: an unprivileged process may have a small RLIMIT_MEMLOCK.
        _ = mlock(base, length)
        return UnsafeMutableRawBufferPointer(start: base, count: byteCount)
    }

    static func release(_ buffer: UnsafeMutableRawBufferPointer) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let length = max(page, (buffer.count + page - 1) / page * page)
        explicit_bzero(buffer.baseAddress!, buffer.count)
        munlock(buffer.baseAddress!, length)
        munmap(buffer.baseAddress!, length)
    }
}
