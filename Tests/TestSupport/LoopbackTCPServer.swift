import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// A TCP listener on 127.0.0.1 (a port of the kernel's choosing) that hands each connection it accepts,
/// one at a time and numbered from 0, to `serve` on its own thread, and closes it after.
public final class LoopbackTCPServer: @unchecked Sendable {
    public let port: UInt16
    private let listener: Int32
    private let closed = Locked(false)

    public init(serve: @escaping @Sendable (_ connection: Int32, _ index: Int) -> Void) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listener = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else {
            Glibc.close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        let closed = self.closed
        Thread { Self.acceptEach(on: fd, closed: closed, serve: serve) }.start()
    }

    /// Accepts on `listener` until it is shut, handing each connection to `serve` (numbered from 0) and closing it
    /// after; then closes the listener, under `closed`, the lock its owner shuts it down under.
    static func acceptEach(
        on listener: Int32, closed: Locked<Bool>, serve: @Sendable (_ connection: Int32, _ index: Int) -> Void
    ) {
        var index = 0
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 && (errno == EINTR || errno == ECONNABORTED) { continue }
            if client < 0 {
                // Closed here, by the thread that accepts on it, under the lock that the owner shuts it
                // down under: closed from outside, its number could be reused by another test's
                // socket while this thread still accepts on it, and take that test's connections.
                closed.withLock { wasClosed in
                    wasClosed = true
                    Glibc.close(listener)
                }
                return
            }
            serve(client, index)
            Glibc.close(client)
            index += 1
        }
    }

    deinit {
        let listener = self.listener
        closed.withLock { wasClosed in
            if !wasClosed { shutdown(listener, Int32(SHUT_RDWR)) }
            wasClosed = true
        }
    }
}

/// Kerberos' TCP framing (RFC 4120 7.2.2; kpasswd's too, RFC 3244): a 4-byte length, then the message.
public enum KerberosFraming {
    /// The next message, or nil at the end of the stream or when its length is 0 or 64 KiB and more.
    public static func readFrame(_ fd: Int32) -> [UInt8]? {
        guard let header = readExactly(fd, 4) else { return nil }
        let length = header.reduce(0) { $0 << 8 | Int($1) }
        guard length > 0, length < 65536 else { return nil }
        return readExactly(fd, length)
    }

    public static func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
            if n <= 0 { return nil }
            got += n
        }
        return bytes
    }

    public static func writeFrame(_ fd: Int32, _ bytes: [UInt8]) {
        let framed = withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { Array($0) } + bytes
        _ = framed.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}
