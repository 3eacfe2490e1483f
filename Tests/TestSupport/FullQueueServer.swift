import AdjoinCore
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// A loopback server whose listen queue fills while a client's connection is still half made, as a DC's
/// does when a fleet connects at once: the client's handshake is answered, then another connection takes the
/// queue's one place, and the server's kernel drops the handshake's last ACK and the request behind it. The
/// client believes it is connected; nothing it sends is acknowledged. (TCP_DEFER_ACCEPT holds the client's
/// connection half made until its first data, which makes the order certain.)
public final class FullQueueServer: @unchecked Sendable {
    public let address: SocketAddress
    private let listener: Int32
    private var filler: Int32 = -1
    private var opened = false
    private let closed = Locked(false)

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var deferSeconds: Int32 = 30
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_DEFER_ACCEPT, &deferSeconds, socklen_t(MemoryLayout<Int32>.size))
        var bound = sockaddr_in()
        bound.sin_family = sa_family_t(AF_INET)
        bound.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &bound) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 0) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard named, let address = SocketAddress(numericHost: "127.0.0.1", port: UInt16(bigEndian: bound.sin_port)) else {
            Glibc.close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        listener = fd
        self.address = address
    }

    /// Another connection takes the queue's one place (its first byte sent, so that it is complete): call it once
    /// the client's handshake is answered. Connections begun after it are not answered until `open`.
    public func fillQueue() throws {
        let descriptor = try TCPConnect.open(address, deadline: Deadline(seconds: 5), purpose: "the queue's filler")
        var byte: UInt8 = 0x78
        guard send(descriptor, &byte, 1, Int32(MSG_NOSIGNAL)) == 1 else {
            Glibc.close(descriptor)
            throw POSIXError(.EPIPE)
        }
        filler = descriptor
    }

    /// From `delay` on, the server takes its queue: the filler is closed, and every later connection is given to
    /// `serve` (with its number from 0), one at a time, until the server is closed.
    public func open(after delay: Duration, serve: @escaping @Sendable (_ connection: Int32, _ index: Int) -> Void) {
        opened = true
        let listener = self.listener
        let filler = self.filler
        let closed = self.closed
        Thread {
            Thread.sleep(forTimeInterval: Double(delay.milliseconds) / 1000)
            // The filler's connection is the first in the queue.
            let first = accept(listener, nil, nil)
            if first >= 0 { Glibc.close(first) }
            if filler >= 0 { Glibc.close(filler) }
            LoopbackTCPServer.acceptEach(on: listener, closed: closed, serve: serve)
        }.start()
    }

    /// Ends the server: its accepting thread, if `open` started one, sees the listener shut and closes it.
    public func close() {
        closed.withLock { wasClosed in
            if !wasClosed { shutdown(listener, Int32(SHUT_RDWR)) }
            wasClosed = true
        }
        if !opened {
            if filler >= 0 { Glibc.close(filler) }
            Glibc.close(listener)
        }
    }
}
