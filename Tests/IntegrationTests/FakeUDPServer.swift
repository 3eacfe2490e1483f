import AdjoinCore
import TestSupport
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// A UDP peer on loopback that stands in for a broken or hostile DC: it answers every datagram with
/// what `respond` returns (nothing for nil), on its own thread, until it is closed.
final class FakeUDPServer: @unchecked Sendable {
    let port: UInt16
    private let descriptor: Int32
    private let thread: Thread
    private let received = Locked(0)
    private let closed = Locked(false)

    init(respond: @escaping @Sendable ([UInt8]) -> [UInt8]?) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        descriptor = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        let received = self.received
        let closed = self.closed
        thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                var datagram = ReceivedDatagram(from: fd, into: &buffer)
                if datagram.count <= 0 {
                    // The descriptor is closed here, by the one thread that reads it, under the lock that
                    // close() shuts it down under: closed from outside, its number could be reused by
                    // another test's socket while this thread still reads it, and steal its datagrams.
                    closed.withLock { wasClosed in
                        wasClosed = true
                        Glibc.close(fd)
                    }
                    return
                }
                received.withLock { $0 += 1 }
                guard let reply = respond(Array(buffer.prefix(datagram.count))) else { continue }
                datagram.answer(reply[...], from: fd)
            }
        }
        thread.start()
    }

    var datagramsReceived: Int { received.withLock { $0 } }

    /// The count once it reaches `count`, or as it stands after `seconds`: a datagram the client has
    /// sent may still wait in the socket for this server's thread, so reading the count at once races.
    func datagramsReceived(reaching count: Int, within seconds: Double = 2) -> Int {
        let end = Date().addingTimeInterval(seconds)
        while datagramsReceived < count, Date() < end { Thread.sleep(forTimeInterval: 0.01) }
        return datagramsReceived
    }

    /// Wakes the server's thread, which then closes the socket itself.
    func close() {
        closed.withLock { wasClosed in
            if !wasClosed { shutdown(descriptor, Int32(SHUT_RDWR)) }
            wasClosed = true
        }
    }

    deinit { close() }
}
