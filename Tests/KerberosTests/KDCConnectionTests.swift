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
        case reply([UInt8])        // a framed reply; the connection stays open
        case replyThenClose([UInt8])
        case closeWithoutReply
        case rawThenClose([UInt8]) // these bytes as they are, framing included
        case silence               // read the request, never answer
    }

    let port: UInt16
    private let listener: Int32
    private let requests = Locked<[[UInt8]]>([])
    private let closed = Locked(false)

    /// `script(connectionIndex, requestIndexOnThatConnection)`.
    init(script: @escaping @Sendable (Int, Int) -> Answer) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listener = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        let requests = self.requests
        let closed = self.closed
        Thread {
            var connectionIndex = 0
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 && (errno == EINTR || errno == ECONNABORTED) { continue }
                if client < 0 {
                    // Closed here, by the thread that accepts on it, under the lock that deinit shuts it
                    // down under: closed from outside, its number could be reused by another test's
                    // socket while this thread still accepts on it, and take that test's connections.
                    closed.withLock { wasClosed in
                        wasClosed = true
                        Glibc.close(fd)
                    }
                    return
                }
                defer { connectionIndex += 1 }
                var requestIndex = 0
                serving: while let request = Self.readFrame(client) {
                    requests.withLock { $0.append(request) }
                    switch script(connectionIndex, requestIndex) {
                    case .reply(let bytes):
                        Self.writeFrame(client, bytes)
                    case .replyThenClose(let bytes):
                        Self.writeFrame(client, bytes)
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

    var received: [[UInt8]] { requests.withLock { $0 } }

    static func readFrame(_ fd: Int32) -> [UInt8]? {
        guard let header = readExactly(fd, 4) else { return nil }
        let length = header.reduce(0) { $0 << 8 | Int($1) }
        precondition(length > 0 && length < 65536, "the client sent a badly framed request (length \(length))")
        return readExactly(fd, length)
    }

    static func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
            if n <= 0 { return nil }
            got += n
        }
        return bytes
    }

    static func writeFrame(_ fd: Int32, _ bytes: [UInt8]) {
        let framed = withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { Array($0) } + bytes
        _ = framed.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
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
}
