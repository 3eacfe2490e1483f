import Foundation
import TestSupport
#if canImport(Glibc)
    import Glibc
#endif

/// A fake DC in front of the lab DC, on a loopback address of its own (127.0.1.X for the lab's
/// 127.0.0.X, so that labs side by side never share one): it relays CLDAP (389/udp), Kerberos
/// (88/tcp) and LDAP (389/tcp) to the real DC byte for byte, except that on the first LDAP connection
/// it stops passing the client's messages on from the one `stallAt` names: the DC never sees it, no
/// answer comes, the connection stays open. Later LDAP connections are relayed whole, as a network
/// that lost one connection, or stalled as `later` says.
final class StallingDCRelay: @unchecked Sendable {
    enum Stall {
        /// From this LDAP message on, counting every one from the bind's first (0).
        case message(Int)
        /// From this sealed message on (after the bind: 0 is the first request the bound client sends).
        case sealedMessage(Int)
    }

    let address: String
    private let dc: String
    private let stallAt: Stall?
    private let later: Stall?
    private let state = Locked((ldapConnections: 0, stalled: false))
    private var listeners: [Int32] = []

    /// One relay at a time in this process: they all listen on the one address.
    private static let address = DispatchSemaphore(value: 1)
    private let closed = Locked(false)

    /// `kerberosStallAt`: Kerberos messages (over TCP) are held from this one on (0: the first AS-REQ).
    private let kerberosStallAt: Int?

    init(in lab: Lab, stallAt: Stall?, later: Stall? = nil, kerberosStallAt: Int? = nil) throws {
        self.kerberosStallAt = kerberosStallAt
        Self.address.wait()
        let octets = lab.dcIP.split(separator: ".")
        address = (octets.dropLast().joined(separator: ".") == "127.0.1" ? "127.0.2." : "127.0.1.") + (octets.last ?? "1")
        dc = lab.dcIP
        self.stallAt = stallAt
        self.later = later
        for (port, datagram) in [(UInt16(88), false), (389, false), (389, true)] {
            let fd = socket(AF_INET, Int32(datagram ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue), 0)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            var local = Self.socketAddress(address, port)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, datagram || listen(fd, 16) == 0 else {
                Glibc.close(fd)
                close()
                throw POSIXError(.EADDRINUSE)
            }
            listeners.append(fd)
            Thread { datagram ? self.relayDatagrams(fd) : self.accept(fd, port: port) }.start()
        }
    }

    deinit { close() }

    var hasStalled: Bool { state.withLock { $0.stalled } }

    /// Waits (bounded) until the stalled message has arrived.
    func waitUntilStalled(within seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while !hasStalled, Date() < end { Thread.sleep(forTimeInterval: 0.02) }
        return hasStalled
    }

    func close() {
        for fd in listeners { shutdown(fd, Int32(SHUT_RDWR)) }
        listeners = []
        let wasClosed = closed.withLock { wasClosed in
            defer { wasClosed = true }
            return wasClosed
        }
        if !wasClosed { Self.address.signal() }
    }

    private static func socketAddress(_ host: String, _ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = port.bigEndian
        return address
    }

    private func connectToDC(_ port: UInt16, datagram: Bool = false) -> Int32? {
        let fd = socket(AF_INET, Int32(datagram ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue), 0)
        var remote = Self.socketAddress(dc, port)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        if datagram { setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            return nil
        }
        return fd
    }

    private func relayDatagrams(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var datagram = ReceivedDatagram(from: fd, into: &buffer)
            guard datagram.count > 0 else {
                Glibc.close(fd)
                return
            }
            guard let upstream = connectToDC(389, datagram: true) else { continue }
            _ = buffer.withUnsafeBytes { send(upstream, $0.baseAddress, datagram.count, 0) }
            var reply = [UInt8](repeating: 0, count: 65536)
            let got = reply.withUnsafeMutableBytes { recv(upstream, $0.baseAddress, $0.count, 0) }
            Glibc.close(upstream)
            guard got > 0 else { continue }
            datagram.answer(reply[..<got], from: fd)
        }
    }

    private func accept(_ fd: Int32, port: UInt16) {
        while true {
            let client = Glibc.accept(fd, nil, nil)
            if client < 0 && errno == EINTR { continue }
            guard client >= 0 else {
                Glibc.close(fd)
                return
            }
            guard let upstream = connectToDC(port) else {
                Glibc.close(client)
                continue
            }
            let first =
                port == 389
                && state.withLock { state in
                    state.ldapConnections += 1
                    return state.ldapConnections == 1
                }
            let stallAt = port != 389 ? kerberosStallAt.map { Stall.message($0) } : first ? self.stallAt : later
            Thread {
                Self.pump(from: upstream, to: client)
                shutdown(client, Int32(SHUT_WR))
            }.start()
            Thread {
                self.pumpRequests(from: client, to: upstream, stallAt: stallAt)
                shutdown(upstream, Int32(SHUT_WR))
                Thread.sleep(forTimeInterval: 0.5)
                Glibc.close(client)
                Glibc.close(upstream)
            }.start()
        }
    }

    private static func pump(from source: Int32, to sink: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return }
            var sent = 0
            while sent < count {
                let n = buffer.withUnsafeBytes { send(sink, $0.baseAddress! + sent, count - sent, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { return }
                sent += n
            }
        }
    }

    /// The client's side, message by message: an LDAP message (BER SEQUENCE, 0x30) before the bind, a
    /// SASL buffer (4-byte length) after it. From message `stallAt` on, nothing is passed on.
    private func pumpRequests(from client: Int32, to upstream: Int32, stallAt: Stall?) {
        guard let stallAt else { return Self.pump(from: client, to: upstream) }
        var pending: [UInt8] = []
        var (passed, sealedPassed) = (0, 0)
        var stalled = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return }
            pending += buffer[0..<count]
            while !stalled, let length = Self.messageLength(pending), pending.count >= length {
                let sealed = pending[0] != 0x30
                switch stallAt {
                case .message(let number): stalled = passed >= number
                case .sealedMessage(let number): stalled = sealed && sealedPassed >= number
                }
                if stalled {
                    state.withLock { $0.stalled = true }
                    break
                }
                _ = pending.withUnsafeBytes { send(upstream, $0.baseAddress, length, Int32(MSG_NOSIGNAL)) }
                pending.removeFirst(length)
                passed += 1
                if sealed { sealedPassed += 1 }
            }
        }
    }

    private static func messageLength(_ bytes: [UInt8]) -> Int? {
        if bytes.first == 0x30 {
            guard bytes.count >= 2 else { return nil }
            let first = Int(bytes[1])
            if first < 0x80 { return 2 + first }
            let octets = first & 0x7F
            guard bytes.count >= 2 + octets else { return nil }
            return 2 + octets + bytes[2..<2 + octets].reduce(0) { $0 << 8 | Int($1) }
        }
        guard bytes.count >= 4 else { return nil }
        return 4 + bytes[0..<4].reduce(0) { $0 << 8 | Int($1) }
    }
}
