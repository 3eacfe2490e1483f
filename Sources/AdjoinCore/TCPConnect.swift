#if canImport(Glibc)
    import Glibc
#endif

/// A TCP connection opened within a deadline (a blocking connect(2) could wait minutes on a
/// silently dropped SYN). Returns a blocking, close-on-exec socket that the caller owns.
public enum TCPConnect {
    public static func open(_ address: SocketAddress, deadline: Deadline, purpose: String) throws(AdjoinError) -> Int32 {
        try finish(try start(address, purpose: purpose), address, deadline: deadline, purpose: purpose)
    }

    /// The first half of `open`: a non-blocking socket whose connection is on its way (the SYN sent), for
    /// a caller that has something else to do meanwhile. `finish` waits for it.
    public static func start(_ address: SocketAddress, purpose: String) throws(AdjoinError) -> Int32 {
        let descriptor = socket(
            address.family == .ipv4 ? AF_INET : AF_INET6,
            Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { throw .network("cannot open a socket for \(purpose): \(Errno.current.description)") }
        var noDelay: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        let started = address.withSockaddr { connect(descriptor, $0, $1) }
        if started != 0 && Errno.current != .inProgress {
            let reason = Errno.current.description
            close(descriptor)
            throw .network("cannot connect to \(purpose) at \(address): \(reason)")
        }
        return descriptor
    }

    /// How long a connection may wait for the server's answer before another SYN goes out on a fresh socket.
    public static let redialInterval: Duration = .seconds(1)
    /// How long what this end sent may stay unacknowledged before the kernel gives the connection up
    /// (TCP_USER_TIMEOUT; a read or write then fails with ETIMEDOUT, which StreamSocket calls
    /// `unacknowledged`). A server whose listen queue is full when the handshake's last ACK arrives drops
    /// that ACK, and then each request sent on the connection, while this end believes it is connected:
    /// the kernel sends the request again after 0.2, 0.6, 1.4, 3, 6.2 s..., so a host could wait a minute
    /// for a DC that has long been idle. A server that has the request acknowledges it at once however
    /// busy it is (its kernel does, not the service), so a slow answer is never cut short by this.
    public static let unacknowledgedLimit: Duration = .seconds(3)
    /// At most this many connections on their way at once (one a second for a 20 s budget is 20).
    static let maximumDials = 16

    /// Waits until the connection `start` began is made (or refused), then makes the socket blocking.
    /// Every `redialInterval` without an answer another connection is started beside the ones on their
    /// way, and the first made wins; the others are closed. A DC whose listen queue is full (Samba's is 10
    /// deep) drops SYNs silently, and the kernel would send the next only after 1, 3, 7 and 15 s: with a
    /// fleet booting at once the DC then sits idle while hosts wait out those pauses. A refusal or an
    /// unreachable network is an answer: the wait ends there. Every socket is closed on failure.
    public static func finish(
        _ descriptor: Int32, _ address: SocketAddress, deadline: Deadline, purpose: String,
        redialInterval: Duration = TCPConnect.redialInterval, unacknowledgedLimit: Duration = TCPConnect.unacknowledgedLimit
    ) throws(AdjoinError) -> Int32 {
        var dials = [descriptor]
        var nextDial = ContinuousClock.now + redialInterval
        while true {
            let untilDial = Int32(clamping: max(0, (nextDial - ContinuousClock.now).milliseconds))
            var waiting = dials.map { pollfd(fd: $0, events: Int16(POLLOUT), revents: 0) }
            let ready = (try? POSIX.poll(&waiting, milliseconds: min(deadline.remainingMilliseconds, untilDial))) ?? -1
            if ready < 0 {
                let reason = Errno.current.description
                dials.forEach { close($0) }
                throw .network("cannot connect to \(purpose) at \(address): \(reason)")
            }
            if let answered = waiting.first(where: { $0.revents != 0 }) {
                dials.filter { $0 != answered.fd }.forEach { close($0) }
                return try connected(answered.fd, address, purpose: purpose, unacknowledgedLimit: unacknowledgedLimit)
            }
            if deadline.isExpired {
                dials.forEach { close($0) }
                throw .timeout("no TCP connection to \(purpose) at \(address) within the time budget")
            }
            if ContinuousClock.now >= nextDial {
                if dials.count < maximumDials, let another = try? start(address, purpose: purpose) { dials.append(another) }
                nextDial = ContinuousClock.now + redialInterval
            }
        }
    }

    /// How long data sent on `descriptor` has waited for the peer's acknowledgement: nil when nothing sent is
    /// unacknowledged (or the socket is not TCP). Counted from the later of the last data sent and the last
    /// acknowledgement received, so that a request sent after an idle spell is not taken for an old one.
    public static func unacknowledgedFor(_ descriptor: Int32) -> Duration? {
        var info = tcp_info()
        var length = socklen_t(MemoryLayout<tcp_info>.size)
        guard getsockopt(descriptor, Int32(IPPROTO_TCP), TCP_INFO, &info, &length) == 0, info.tcpi_unacked > 0 else { return nil }
        return .milliseconds(Int64(min(info.tcpi_last_data_sent, info.tcpi_last_ack_recv)))
    }

    /// The socket poll found answered: made blocking when connected, closed with the reason when refused.
    private static func connected(
        _ descriptor: Int32, _ address: SocketAddress, purpose: String, unacknowledgedLimit: Duration
    ) throws(AdjoinError) -> Int32 {
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &failure, &length)
        if failure != 0 {
            close(descriptor)
            throw .network("cannot connect to \(purpose) at \(address): \(Errno(failure).description)")
        }
        var limit = UInt32(clamping: unacknowledgedLimit.milliseconds)
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_USER_TIMEOUT, &limit, socklen_t(MemoryLayout<UInt32>.size))
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags & ~Int32(O_NONBLOCK))
        return descriptor
    }
}
