import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif

/// Sends one request datagram to several servers at once and hands back replies as they arrive,
/// retransmitting to the silent ones with exponential backoff. Nothing sleeps: every wait is a poll(2)
/// bounded by the next retransmission and the deadline.
final class UDPExchange {
    struct Reply {
        let index: Int
        let bytes: [UInt8]
    }

    enum Event {
        case reply(Reply)
        /// The kernel reported the server unreachable (ICMP port or host unreachable).
        case unreachable(index: Int, reason: String)
    }

    private var sockets: [Int32]
    private let targets: [SocketAddress]
    private var silent: Set<Int>
    private var nextRetransmit: ContinuousClock.Instant
    private var interval: Duration = .milliseconds(500)
    private let payloads: [[UInt8]]
    private var queued: [Event] = []

    /// One connected socket per server, so that replies are matched to servers by the kernel and
    /// ICMP errors surface as ECONNREFUSED on that server's socket.
    init(targets: [SocketAddress], payloads: [[UInt8]]) throws(AdjoinError) {
        precondition(targets.count == payloads.count)
        self.targets = targets
        self.payloads = payloads
        self.sockets = []
        self.silent = Set(targets.indices)
        self.nextRetransmit = .now
        for target in targets {
            let descriptor = socket(
                target.family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else {
                let reason = Errno.current.description
                closeAll()
                throw .network("cannot open a UDP socket: \(reason)")
            }
            sockets.append(descriptor)
            if target.withSockaddr({ connect(descriptor, $0, $1) }) != 0 {
                // This one cannot be reached at all (no route, say); the others may still answer.
                silent.remove(sockets.count - 1)
                queued.append(.unreachable(index: sockets.count - 1, reason: Errno.current.description))
            }
        }
    }

    deinit {
        closeAll()
    }

    private func closeAll() {
        for descriptor in sockets where descriptor >= 0 {
            close(descriptor)
        }
        sockets.removeAll()
    }

    var hasPending: Bool { !silent.isEmpty }

    /// Stops waiting for a server (it answered, or answered something useless).
    func finish(_ index: Int) {
        silent.remove(index)
    }

    /// Whether another reply is already waiting, without waiting for one.
    func hasReadyReply() -> Bool {
        guard queued.isEmpty else { return true }
        var descriptors = silent.map { pollfd(fd: sockets[$0], events: Int16(POLLIN), revents: 0) }
        return !descriptors.isEmpty && poll(&descriptors, nfds_t(descriptors.count), 0) > 0
    }

    /// The next event, or nil when the deadline passes or no server is left to wait for.
    func next(deadline: Deadline) -> Event? {
        if !queued.isEmpty { return queued.removeFirst() }
        while !silent.isEmpty {
            let now = ContinuousClock.now
            if now >= deadline.end { return nil }
            if now >= nextRetransmit {
                for index in silent.sorted() {
                    _ = payloads[index].withUnsafeBytes { send(sockets[index], $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                }
                nextRetransmit = now + interval
                interval = min(interval * 2, .seconds(4))
            }
            let order = silent.sorted()
            var descriptors = order.map { pollfd(fd: sockets[$0], events: Int16(POLLIN), revents: 0) }
            let wait = min(deadline.end, nextRetransmit) - ContinuousClock.now
            guard (try? POSIX.poll(&descriptors, milliseconds: Int32(clamping: max(0, wait.milliseconds) + 1))) != nil else { return nil }
            for (position, descriptor) in descriptors.enumerated() where descriptor.revents != 0 {
                let index = order[position]
                var buffer = [UInt8](repeating: 0, count: 65536)
                let received = buffer.withUnsafeMutableBytes { bytes in
                    Result { () throws(POSIXFailure) in try POSIX.receive(sockets[index], into: bytes) }
                }
                switch received {
                case .success(let count):
                    return .reply(Reply(index: index, bytes: Array(buffer.prefix(count))))
                case .failure(let failure) where failure.errno == .wouldBlock:
                    continue
                case .failure(let failure):
                    silent.remove(index)
                    return .unreachable(index: index, reason: failure.errno.description)
                }
            }
        }
        return nil
    }
}
