import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif

/// One TCP connection to the realm's KDC on the pinned DC, kept open for every exchange of a join
/// (RFC 4120 7.2.2 framing: a 4-byte length, then the message). libkrb5's own transport opens a new
/// connection per exchange and tries UDP first, where AD answers anything with a PAC "response too
/// big"; one connection costs one handshake in all, and every wait is bounded by the caller's deadline.
/// The DC's kpasswd service (port 464) frames its TCP messages the same way (RFC 3244 2), so a
/// connection to it is one of these too.
public final class KDCConnection {
    public let address: SocketAddress
    /// The realm this KDC serves: a request for any other (a client referral) is refused, not sent.
    public let realm: String
    /// What the far end is, for messages: "the KDC" or "the kpasswd server".
    public let service: String
    /// A request may be sent again on a new connection (AS and TGS requests; not a password change).
    let requestsRepeat: Bool
    private var descriptor: Int32 = -1
    /// `descriptor`'s connection was begun (`begin`) and not yet waited for.
    private var connecting = false
    /// The UDP socket of `sendEarly`'s request, and when it was sent.
    private var early: (socket: Int32, sent: ContinuousClock.Instant)?
    /// The open connection has answered a request: a close now may be the server dropping an idle
    /// connection, not a refusal of the request about to be sent.
    private var answeredOnThisConnection = false
    /// Connections opened and requests answered so far: what a join costs in round trips to the KDC.
    private(set) var connections = 0
    private(set) var exchanges = 0
    /// Answers that came by UDP (`exchangeByDatagram`).
    private(set) var datagrams = 0
    /// How long a request may stay unacknowledged before its connection is given up and the request sent
    /// on a new one (tests shorten it).
    var unacknowledgedLimit = TCPConnect.unacknowledgedLimit

    /// Replies larger than this are refused (a PAC-laden AS-REP is a few kilobytes).
    static let maximumReply = 1 << 20

    public convenience init(address: SocketAddress, realm: String) {
        self.init(address: address, realm: realm, service: "the KDC", requestsRepeat: true)
    }

    private init(address: SocketAddress, realm: String, service: String, requestsRepeat: Bool) {
        self.address = address
        self.realm = realm
        self.service = service
        self.requestsRepeat = requestsRepeat
    }

    /// A connection to the kpasswd service of the DC at `host`: on port 464 unless `port` says otherwise.
    public convenience init(kpasswdAt host: SocketAddress, port: UInt16 = 464, realm: String) {
        self.init(
            address: SocketAddress(family: host.family, addressBytes: host.addressBytes, port: port), realm: realm,
            service: "the kpasswd server", requestsRepeat: false)
    }

    deinit {
        disconnect()
        if let early { close(early.socket) }
    }

    /// Sends the SYN now and returns: the handshake then overlaps whatever the caller does next (a
    /// login's first request, which goes by UDP, or another connection's handshake), and the first
    /// exchange finds the connection made. A connection that cannot even be begun is left to the first
    /// exchange to try again and report.
    public func begin() {
        guard descriptor < 0 else { return }
        guard let started = try? TCPConnect.start(address, purpose: service) else { return }
        descriptor = started
        connecting = true
        connections += 1
    }

    /// This end's address of the connection, connecting first if need be: a KRB-PRIV names its
    /// sender's address (RFC 4120 5.7.1), so it must be the one the server sees.
    func localAddress(deadline: Deadline) throws(KerberosError) -> SocketAddress {
        if descriptor < 0 || connecting { try connect(deadline) }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0, let address = SocketAddress(storage) else {
            let reason = Errno.current.description
            disconnect()
            throw KerberosError(
                code: .kdcUnreachable, message: "cannot read the local address: \(reason)",
                operation: "talking to \(service) at \(address)")
        }
        return address
    }

    /// A login's first request, whose answer is small (the KDC's demand for pre-authentication, which
    /// names the salt): sent by UDP the moment the TCP handshake begins, so that the two overlap and the
    /// login waits one round trip for both. nil when no datagram answer comes by the time it should
    /// have (twice the handshake's time and 100 ms more), or the UDP port refused it: the caller then
    /// sends the request on the TCP connection, which is made by then. Every later request goes by TCP.
    ///
    /// Nothing is trusted more than before: the answer to an unauthenticated AS-REQ is unauthenticated
    /// over TCP as well (RFC 4120 5.2.7.5), and libkrb5 reads it the same way from either.
    func exchangeByDatagram(_ request: [UInt8], deadline: Deadline) -> [UInt8]? {
        guard descriptor < 0 || connecting, early == nil else { return nil }
        sendEarly(request)
        return earlyAnswer(deadline: deadline)
    }

    /// Sends `request` by UDP now and begins the TCP handshake, for `earlyAnswer` to collect: a caller
    /// with other work meanwhile (the DC's CLDAP ping) has both in flight with it.
    public func sendEarly(_ request: [UInt8]) {
        guard early == nil, request.count <= Self.maximumDatagram else { return }
        let socket = Glibc.socket(
            address.family == .ipv4 ? AF_INET : AF_INET6,
            Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard socket >= 0 else { return }
        let sent = ContinuousClock.now
        guard address.withSockaddr({ Glibc.connect(socket, $0, $1) }) == 0,
            request.withUnsafeBytes({ Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count
        else {
            close(socket)
            return
        }
        early = (socket, sent)
        begin()
    }

    /// Whether `sendEarly` sent a request whose answer has not been collected.
    var hasEarlyRequest: Bool { early != nil }

    /// The answer to `sendEarly`'s request, once the TCP connection is made: nil when none came by
    /// twice the time the handshake took and 100 ms more (the handshake's time stands for the round
    /// trip's), or the UDP port refused it. The UDP socket is closed either way.
    func earlyAnswer(deadline: Deadline) -> [UInt8]? {
        guard let (socket, sent) = early else { return nil }
        early = nil
        defer { close(socket) }
        if connecting { guard (try? connect(deadline)) != nil else { return nil } }
        let due = sent + (ContinuousClock.now - sent) * 2 + .milliseconds(100)
        let wait = Deadline(start: sent, end: min(due, deadline.end))
        var buffer = [UInt8](repeating: 0, count: Self.maximumDatagram)
        repeat {
            var waiting = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
            guard let ready = try? POSIX.poll(&waiting, milliseconds: wait.remainingMilliseconds) else { return nil }
            if ready == 0 { continue }
            // A refused port (ICMP unreachable) is an error here: no answer by UDP, at once.
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                datagrams += 1
                return Array(buffer.prefix(count))
            }
            if count < 0 && Errno.current == .wouldBlock { continue }
            return nil
        } while !wait.isExpired
        return nil
    }

    /// The largest datagram sent or read: a KDC answers by UDP only within about this size (AD's
    /// MaxPacketSize is 1465 bytes; larger replies come back as KRB_ERR_RESPONSE_TOO_BIG).
    static let maximumDatagram = 1500

    /// Sends one request and returns the reply (from a KDC an AS-REP, TGS-REP or KRB-ERROR; from a
    /// kpasswd server an RFC 3244 reply), undecoded.
    func exchange(_ request: [UInt8], deadline: Deadline) throws(KerberosError) -> [UInt8] {
        var reused = descriptor >= 0 && answeredOnThisConnection
        while true {
            if descriptor < 0 || connecting { try connect(deadline) }
            do {
                return try roundTrip(request, deadline)
            } catch .closedBeforeReply where reused {
                // A KDC may close a connection that sat idle (during the LDAP work between two logins):
                // one new connection, and the request again (AS and TGS requests can be repeated; a
                // kpasswd connection carries one request, so it never gets here).
            } catch .unacknowledged where requestsRepeat {
                // The DC's host never took the request: its listen queue was full when the handshake ended, so
                // the connection exists on this side only. The request never reached the KDC, and goes again on
                // a new connection, as often as the budget allows (a kpasswd request is not sent twice).
            } catch {
                disconnect()
                throw failure(error)
            }
            disconnect()
            reused = false
        }
    }

    /// After a failure the stream's position is unknown (a late reply would be read as the next one).
    private func disconnect() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        connecting = false
        answeredOnThisConnection = false
    }

    private func connect(_ deadline: Deadline) throws(KerberosError) {
        do {
            if connecting {
                // `finish` closes the socket when the connection failed.
                connecting = false
                let begun = descriptor
                descriptor = -1
                descriptor = try TCPConnect.finish(
                    begun, address, deadline: deadline, purpose: service, unacknowledgedLimit: unacknowledgedLimit)
            } else {
                descriptor = try TCPConnect.finish(
                    try TCPConnect.start(address, purpose: service), address, deadline: deadline, purpose: service,
                    unacknowledgedLimit: unacknowledgedLimit)
                connections += 1
            }
        } catch {
            throw KerberosError(code: .kdcUnreachable, message: error.message, operation: "connecting to \(service) at \(address)")
        }
    }

    private func roundTrip(_ request: [UInt8], _ deadline: Deadline) throws(KDCTransportFailure) -> [UInt8] {
        let length = UInt32(request.count)
        let header: [UInt8]
        do {
            try StreamSocket.send(
                [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + request,
                on: descriptor, deadline: deadline, unacknowledgedLimit: unacknowledgedLimit)
            header = try StreamSocket.receive(4, on: descriptor, deadline: deadline, unacknowledgedLimit: unacknowledgedLimit)
        } catch .closed(received: 0) {
            // Nothing of the reply came: the KDC dropped the connection rather than cut a reply short.
            throw .closedBeforeReply
        } catch {
            throw KDCTransportFailure(error)
        }
        let replyLength = header.reduce(0) { $0 << 8 | Int($1) }
        guard replyLength > 0, replyLength <= Self.maximumReply else { throw .malformed("a reply of \(replyLength) bytes") }
        let reply: [UInt8]
        do {
            reply = try StreamSocket.receive(replyLength, on: descriptor, deadline: deadline)
        } catch {
            throw KDCTransportFailure(error)
        }
        exchanges += 1
        answeredOnThisConnection = true
        return reply
    }

    private func failure(_ error: KDCTransportFailure) -> KerberosError {
        let operation = "talking to \(service) at \(address)"
        switch error {
        case .timedOut:
            return KerberosError(code: .kdcUnreachable, message: "no answer within the time budget", operation: operation)
        case .closedBeforeReply:
            return KerberosError(code: .kdcUnreachable, message: "\(service) closed the connection without answering", operation: operation)
        case .unacknowledged:
            return KerberosError(
                code: .kdcUnreachable,
                message: "\(service)'s host never acknowledged the request (its listen queue was full, or the network lost it)",
                operation: operation)
        case .system(let code):
            return KerberosError(code: .kdcUnreachable, message: code.description, operation: operation)
        case .malformed(let what):
            return KerberosError(code: .kdcUnreachable, message: "\(service) sent \(what)", operation: operation)
        }
    }
}

private enum KDCTransportFailure: Error {
    case timedOut
    case closedBeforeReply
    case unacknowledged
    case system(Errno)
    case malformed(String)

    init(_ failure: StreamSocket.Failure) {
        switch failure {
        case .timedOut: self = .timedOut
        case .unacknowledged: self = .unacknowledged
        case .closed: self = .malformed("a reply cut short")
        case .system(let errno): self = .system(errno)
        }
    }
}
