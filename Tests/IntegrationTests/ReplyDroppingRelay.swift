import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A TCP relay on loopback in front of a Kerberos-framed service (RFC 4120 7.2.2: a 4-byte length,
/// then the message): it hands each request to the real service and reads the service's answer, then
/// closes the client's connection without passing the answer on, as a network that loses a reply.
final class ReplyDroppingRelay: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let closed = Locked(false)
    private let forwarded = Locked(0)

    init(to service: (host: String, port: UInt16)) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listener = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 4) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        let (closed, forwarded) = (self.closed, self.forwarded)
        Thread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 && (errno == EINTR || errno == ECONNABORTED) { continue }
                if client < 0 {
                    // Closed by this thread only, as the fake servers do, so its number is never reused under it.
                    closed.withLock { wasClosed in
                        wasClosed = true
                        Glibc.close(fd)
                    }
                    return
                }
                if let request = Self.readFrame(client), Self.ask(service, request) != nil {
                    forwarded.withLock { $0 += 1 }
                }
                Glibc.close(client)
            }
        }.start()
    }

    deinit {
        let listener = self.listener
        closed.withLock { wasClosed in
            if !wasClosed { shutdown(listener, Int32(SHUT_RDWR)) }
            wasClosed = true
        }
    }

    /// Requests the service answered (and whose answers were dropped).
    var answeredAndDropped: Int { forwarded.withLock { $0 } }

    /// One framed request to the service, and its framed answer (nil if none came within 10 s).
    private static func ask(_ service: (host: String, port: UInt16), _ request: [UInt8]) -> [UInt8]? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(service.host)
        address.sin_port = service.port.bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let framed = withUnsafeBytes(of: UInt32(request.count).bigEndian) { Array($0) } + request
        guard framed.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == framed.count else { return nil }
        return readFrame(fd)
    }

    private static func readFrame(_ fd: Int32) -> [UInt8]? {
        guard let header = readExactly(fd, 4) else { return nil }
        let length = header.reduce(0) { $0 << 8 | Int($1) }
        guard length > 0, length < 65536 else { return nil }
        return readExactly(fd, length)
    }

    private static func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
            if n <= 0 { return nil }
            got += n
        }
        return bytes
    }
}
