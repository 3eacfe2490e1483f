import AdjoinCore
import TestSupport
import Foundation
import Testing
@testable import Kerberos
#if canImport(Glibc)
    import Glibc
#endif

/// A KDC on loopback that speaks RFC 4120's TCP framing and misbehaves on purpose. For each accepted
/// connection it reads framed requests and answers them as `script` says; it records every request,
/// and a request that is not properly framed fails the test.
final class FakeTCPKDC: @unchecked Sendable {
    enum Answer: Sendable {
        case reply([UInt8])  // a framed reply; the connection stays open
        case replyThenClose([UInt8])
        case closeWithoutReply
        case rawThenClose([UInt8])  // these bytes as they are, framing included
        case silence  // read the request, never answer
    }

    private let server: LoopbackTCPServer
    private let requests = Locked<[[UInt8]]>([])

    var port: UInt16 { server.port }

    /// `script(connectionIndex, requestIndexOnThatConnection)`.
    init(script: @escaping @Sendable (Int, Int) -> Answer) throws {
        let requests = self.requests
        server = try LoopbackTCPServer { client, connectionIndex in
            var requestIndex = 0
            serving: while let request = Self.readFrame(client) {
                requests.withLock { $0.append(request) }
                switch script(connectionIndex, requestIndex) {
                case .reply(let bytes):
                    KerberosFraming.writeFrame(client, bytes)
                case .replyThenClose(let bytes):
                    KerberosFraming.writeFrame(client, bytes)
                    break serving
                case .closeWithoutReply:
                    break serving
                case .rawThenClose(let bytes):
                    _ = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    break serving
                case .silence:
                    continue serving
                }
                requestIndex += 1
            }
        }
    }

    var received: [[UInt8]] { requests.withLock { $0 } }

    /// A framed request; one framed badly fails the test here rather than passing as a closed stream.
    static func readFrame(_ fd: Int32) -> [UInt8]? {
        guard let header = KerberosFraming.readExactly(fd, 4) else { return nil }
        let length = header.reduce(0) { $0 << 8 | Int($1) }
        precondition(length > 0 && length < 65536, "the client sent a badly framed request (length \(length))")
        return KerberosFraming.readExactly(fd, length)
    }
}

@Suite struct KDCConnectionTests {
    func connection(to kdc: FakeTCPKDC) -> KDCConnection {
        KDCConnection(address: SocketAddress(numericHost: "127.0.0.1", port: kdc.port)!, realm: "UNIT.EXAMPLE.TEST")
    }

    @Test func oneConnectionCarriesEveryExchange() throws {
        let kdc = try FakeTCPKDC { _, request in .reply([0x7E, UInt8(request)]) }
        let connection = connection(to: kdc)
        for index in 0..<3 {
            #expect(try connection.exchange([0x6A, UInt8(index)], deadline: Deadline(seconds: 5)) == [0x7E, UInt8(index)])
        }
        #expect(connection.connections == 1)
        #expect(connection.exchanges == 3)
        #expect(kdc.received == [[0x6A, 0], [0x6A, 1], [0x6A, 2]])
    }

    @Test func aKDCThatClosedAnIdleConnectionGetsTheRequestAgainOnANewOne() throws {
        // This KDC closes every connection after one reply, as some do.
        let kdc = try FakeTCPKDC { connection, _ in .replyThenClose([0x7E, UInt8(connection)]) }
        let connection = connection(to: kdc)
        #expect(try connection.exchange([0x6A, 1], deadline: Deadline(seconds: 5)) == [0x7E, 0])
        #expect(try connection.exchange([0x6A, 2], deadline: Deadline(seconds: 5)) == [0x7E, 1])
        #expect(connection.connections == 2)
        #expect(kdc.received == [[0x6A, 1], [0x6A, 2]])
    }

    @Test func aNewConnectionClosedWithoutAnswerIsANetworkFailure() throws {
        let kdc = try FakeTCPKDC { _, _ in .closeWithoutReply }
        let connection = connection(to: kdc)
        let error = #expect(throws: KerberosError.self) { try connection.exchange([0x6A], deadline: Deadline(seconds: 5)) }
        #expect(error?.isNetworkFailure == true)
        #expect(connection.connections == 1, "a fresh connection that fails is not retried")
    }

    @Test func aSilentKDCEndsAtTheDeadline() throws {
        let kdc = try FakeTCPKDC { _, _ in .silence }
        let connection = connection(to: kdc)
        let deadline = Deadline(seconds: 0.3)
        let error = #expect(throws: KerberosError.self) { try connection.exchange([0x6A], deadline: deadline) }
        #expect(error?.isNetworkFailure == true)
        #expect(deadline.isExpired)
        #expect(deadline.elapsed < .seconds(8), "a silent KDC must not be waited on past the deadline")
    }

    @Test func nothingListeningIsANetworkFailure() throws {
        let connection = KDCConnection(address: SocketAddress(numericHost: "127.0.0.1", port: 1)!, realm: "UNIT.EXAMPLE.TEST")
        let error = #expect(throws: KerberosError.self) { try connection.exchange([0x6A], deadline: Deadline(seconds: 5)) }
        #expect(error?.isNetworkFailure == true)
        #expect(error?.message.contains("127.0.0.1:1") == true, "\(String(describing: error))")
    }

    /// A fleet connecting at once fills the KDC's listen queue between a host's handshake and its request: the
    /// request is never acknowledged, and the host's kernel would send it again after 0.2, 0.6, 1.4, 3 s... into a
    /// queue that has long had room. It goes again on a new connection once the limit passes, and the KDC answers
    /// it there, once.
    @Test func aRequestTheKDCsHostNeverTookGoesAgainOnANewConnection() throws {
        let server = try FullQueueServer()
        defer { server.close() }
        let connection = KDCConnection(address: server.address, realm: "UNIT.EXAMPLE.TEST")
        connection.unacknowledgedLimit = .milliseconds(300)
        connection.begin()
        // The handshake is answered on loopback at once; the queue fills behind it.
        Thread.sleep(forTimeInterval: 0.05)
        try server.fillQueue()
        let served = Locked<[(connection: Int, request: [UInt8])]>([])
        // Room in the queue only after the first connection has been given up (and long before the kernel's
        // third resend of its request, at 1.4 s, and fourth, at 3 s, would have reached the server).
        server.open(after: .milliseconds(1200)) { client, index in
            guard let request = KerberosFraming.readFrame(client) else { return }
            served.withLock { $0.append((index, request)) }
            KerberosFraming.writeFrame(client, [0x7E, request.last ?? 0])
        }
        #expect(try connection.exchange([0x6A, 7], deadline: Deadline(seconds: 20)) == [0x7E, 7])
        #expect(connection.connections == 2, "the request went again on a second connection")
        #expect(served.withLock { $0.map(\.request) } == [[0x6A, 7]], "the KDC had the request once")
    }
}
