import AdjoinCore
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
    import Glibc
#endif

/// A connection to a server whose listen queue is full: its SYN is dropped without an answer, as a DC that a
/// fleet booting at once floods drops them (Samba's queue is 10 deep), and the kernel would send the next one
/// only a second later, then 3, 7 and 15 s later. The connection is dialled again beside the first.
/// A loopback listener with room for one queued connection, and that one connection made: the queue is full.
final class FullListener {
    let listener: Int32
    let address: SocketAddress
    /// The connections that filled the queue (the kernel's arithmetic on a backlog decides how many fit).
    let queued: [Int32]

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var any = sockaddr_in(
            sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")),
            sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &any) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        let listening = listen(descriptor, 0)
        let named = withUnsafeMutablePointer(to: &any) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        try #require(bound == 0 && listening == 0 && named == 0)
        let address = try #require(SocketAddress(numericHost: "127.0.0.1", port: UInt16(bigEndian: any.sin_port)))
        listener = descriptor
        self.address = address
        var filled: [Int32] = []
        while filled.count < 64 {
            do throws(AdjoinError) {
                let begun = try TCPConnect.start(address, purpose: "the queue's filler")
                filled.append(
                    try TCPConnect.finish(
                        begun, address, deadline: Deadline(seconds: 0.3), purpose: "the queue's filler",
                        redialInterval: .seconds(5)))
            } catch {
                break
            }
        }
        queued = filled
    }

    /// From `after` on for `period`, every connection in the queue is accepted, then closed; `finished` is
    /// signalled at the end, when this process holds none of them.
    func acceptAll(after delay: Duration, for period: Duration, finished: DispatchSemaphore) {
        let listener = self.listener
        let thread = Thread {
            Thread.sleep(forTimeInterval: Double(delay.milliseconds) / 1000)
            let end = ContinuousClock.now + period
            var accepted: [Int32] = []
            while ContinuousClock.now < end {
                var waiting = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
                if poll(&waiting, 1, 50) > 0 { accepted.append(accept(listener, nil, nil)) }
            }
            accepted.forEach { Glibc.close($0) }
            finished.signal()
        }
        thread.start()
    }

    func close() {
        queued.forEach { Glibc.close($0) }
        Glibc.close(listener)
    }
}

@Suite(.serialized) struct TCPConnectTests {
    /// This machine's client sockets to `address` that are still open (/proc/net/tcp: on their way, connected,
    /// or connected and closed by the server but not by the client). Read by the server's own port, so that
    /// other suites' sockets, opened and closed meanwhile, do not count.
    static func openDials(to address: SocketAddress) -> Int {
        let port = String(address.port, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: max(0, 4 - port.count)) + port
        // Read to its end: a /proc file says it has size 0, and a read by size gets nothing.
        let bytes = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/net/tcp")).readToEnd()) ?? nil
        let table = String(decoding: bytes ?? Data(), as: UTF8.self)
        return table.split(separator: "\n").dropFirst().filter { line in
            let fields = line.split(separator: " ")
            return fields.count > 3 && fields[2].hasSuffix(":" + padded) && ["01", "02", "08"].contains(fields[3])
        }.count
    }

    /// The queue frees a tenth of a second in; the first SYN's retransmission would come only after the
    /// budget. A connection dialled again in the meantime is made, and the dials that lost are closed.
    @Test func aConnectionWhoseSYNWasDroppedIsDialledAgainWithinItsBudget() throws {
        let server = try FullListener()
        defer { server.close() }
        let started = try TCPConnect.start(server.address, purpose: "the test server")
        let acceptorDone = DispatchSemaphore(value: 0)
        server.acceptAll(after: .milliseconds(100), for: .milliseconds(700), finished: acceptorDone)
        let connected = try TCPConnect.finish(
            started, server.address, deadline: Deadline(seconds: 0.9), purpose: "the test server",
            redialInterval: .milliseconds(50))
        defer { close(connected) }
        acceptorDone.wait()
        var peer = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        #expect(
            withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(connected, $0, &length) }
            } == 0)
        #expect(Self.openDials(to: server.address) == server.queued.count + 1, "the dials that lost are closed")
    }

    /// A queue that stays full: the budget ends it, as TIMEOUT, with every dial closed.
    @Test func aQueueThatStaysFullIsATimeoutWithEveryDialClosed() throws {
        let server = try FullListener()
        defer { server.close() }
        let started = try TCPConnect.start(server.address, purpose: "the test server")
        do throws(AdjoinError) {
            let connected = try TCPConnect.finish(
                started, server.address, deadline: Deadline(seconds: 0.4), purpose: "the test server",
                redialInterval: .milliseconds(50))
            close(connected)
            Issue.record("connected to a full queue")
        } catch {
            #expect(error.status == .timeout, "\(error.message)")
        }
        #expect(Self.openDials(to: server.address) == server.queued.count, "every dial is closed")
    }

    /// A refusal is an answer: no dial follows it.
    @Test func aRefusalEndsTheWaitAtOnce() throws {
        let server = try FullListener()
        let address = server.address
        server.close()
        do throws(AdjoinError) {
            let started = try TCPConnect.start(address, purpose: "the test server")
            let connected = try TCPConnect.finish(
                started, address, deadline: Deadline(seconds: 5), purpose: "the test server",
                redialInterval: .milliseconds(50))
            close(connected)
            Issue.record("connected to a closed port")
        } catch {
            #expect(error.status == .networkError && error.message.contains("refused"), "\(error.message)")
        }
        #expect(Self.openDials(to: address) == 0)
    }

    /// How a request sent to a server whose full queue never took its connection fails: the kernel's limit
    /// (TCP_USER_TIMEOUT, set when the connection is made) and StreamSocket's own, each as given.
    static func failureOfARequestToAFullQueue(kernelLimit: Duration, ownLimit: Duration) throws -> StreamSocket.Failure? {
        let server = try FullQueueServer()
        defer { server.close() }
        let connected = try TCPConnect.finish(
            try TCPConnect.start(server.address, purpose: "the test server"), server.address, deadline: Deadline(seconds: 5),
            purpose: "the test server", unacknowledgedLimit: kernelLimit)
        defer { close(connected) }
        try server.fillQueue()
        do throws(StreamSocket.Failure) {
            try StreamSocket.send(Array("a request".utf8), on: connected, deadline: Deadline(seconds: 10), unacknowledgedLimit: ownLimit)
            _ = try StreamSocket.receive(4, on: connected, deadline: Deadline(seconds: 10), unacknowledgedLimit: ownLimit)
            return nil
        } catch {
            return error
        }
    }

    /// The server's queue was full when the handshake ended: the connection exists on this side only, and what is
    /// sent on it is never acknowledged. The kernel gives it up once its limit has passed (StreamSocket's own far
    /// off here), where it would otherwise be waited on until the deadline while the request went again into the void.
    @Test func aConnectionTheServersFullQueueNeverTookFailsAsUnacknowledged() throws {
        #expect(try Self.failureOfARequestToAFullQueue(kernelLimit: .milliseconds(300), ownLimit: .seconds(120)) == .unacknowledged)
    }

    /// The kernel checks its own limit only when a retransmission is due, and a connection made by a SYN the kernel
    /// sent again waits tens of seconds for that. StreamSocket looks for itself between slices of its wait: with the
    /// kernel's limit far off, the request still fails as `unacknowledged` once its own limit has passed.
    @Test func streamSocketSeesAnUnacknowledgedRequestWithoutTheKernelsLimit() throws {
        #expect(try Self.failureOfARequestToAFullQueue(kernelLimit: .seconds(120), ownLimit: .milliseconds(500)) == .unacknowledged)
    }
}
