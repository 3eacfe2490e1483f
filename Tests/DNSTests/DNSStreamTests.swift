import AdjoinCore
import Foundation
import Testing
import TestSupport
@testable import DNS
#if canImport(Glibc)
    import Glibc
#endif

/// The connection to the DNS server, against a loopback server whose listen queue fills as a DC's does when a
/// fleet registers at once.
@Suite struct DNSStreamTests {
    /// Reads one framed DNS message (RFC 1035 4.2.2), or nil at the end of the stream.
    static func readMessage(_ fd: Int32) -> [UInt8]? {
        guard let header = KerberosFraming.readExactly(fd, 2) else { return nil }
        return KerberosFraming.readExactly(fd, Int(header[0]) << 8 | Int(header[1]))
    }

    /// The first request's connection was never taken by the server's host (its queue full as the handshake
    /// ended): the request goes again on a new connection, where the server answers it, once.
    @Test func aFirstRequestTheServersHostNeverTookGoesAgainOnANewConnection() throws {
        let server = try FullQueueServer()
        defer { server.close() }
        let stream = try DNSStream(connecting: server.address)
        stream.unacknowledgedLimit = .milliseconds(300)
        // The handshake is answered on loopback at once; the queue fills behind it.
        Thread.sleep(forTimeInterval: 0.05)
        try server.fillQueue()
        let served = Locked<[[UInt8]]>([])
        // Room only after the first connection has been given up, and before the kernel's resend at 1.4 s.
        server.open(after: .milliseconds(1200)) { client, _ in
            guard var message = Self.readMessage(client) else { return }
            served.withLock { $0.append(message) }
            message[2] |= 0x80  // QR: a response, same id
            let framed = [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
            _ = framed.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        let query: [UInt8] = [0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0x01]
        let reply = try stream.exchange(query, deadline: Deadline(seconds: 20))
        #expect(Array(reply.prefix(2)) == [0x12, 0x34])
        #expect(stream.connections == 2, "the request went again on a second connection")
        #expect(served.withLock { $0 } == [query], "the server had the request once")
    }
}
