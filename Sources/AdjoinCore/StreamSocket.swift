#if canImport(Glibc)
    import Glibc
#endif

/// Whole messages over a connected TCP socket within a deadline: every byte sent, exactly so many read,
/// each wait bounded by what is left of the budget. The DNS client and the KDC client frame their
/// messages differently (RFC 1035 4.2.2's two-byte length, RFC 4120 7.2.2's four) and say failures in
/// their own words; the moving of bytes is this.
public enum StreamSocket {
    public enum Failure: Error, Equatable {
        case timedOut
        /// What was sent stayed unacknowledged past TCPConnect's limit: the server's host never took the
        /// connection or the request (see `TCPConnect.unacknowledgedLimit`), and the kernel gave it up.
        case unacknowledged
        /// The peer closed the connection (or reset it) after `received` bytes of what was being read.
        case closed(received: Int)
        case system(Errno)
    }

    public static func send(
        _ bytes: [UInt8], on descriptor: Int32, deadline: Deadline, unacknowledgedLimit: Duration = TCPConnect.unacknowledgedLimit
    ) throws(Failure) {
        var sent = 0
        while sent < bytes.count {
            try wait(descriptor, for: Int16(POLLOUT), deadline, unacknowledgedLimit)
            // POSIX.send passes MSG_NOSIGNAL: a peer that closed the connection is an error here, not a SIGPIPE.
            let result = bytes.withUnsafeBytes { buffer in
                Result { () throws(POSIXFailure) in try POSIX.send(descriptor, buffer, from: sent) }
            }
            switch result {
            case .success(let count): sent += count
            case .failure(let failure) where failure.errno == .wouldBlock: continue
            case .failure(let failure) where failure.errno == .brokenPipe || failure.errno == .connectionReset: throw .closed(received: 0)
            case .failure(let failure) where failure.errno == .timedOut: throw .unacknowledged
            case .failure(let failure): throw .system(failure.errno)
            }
        }
    }

    /// Exactly `count` bytes.
    public static func receive(
        _ count: Int, on descriptor: Int32, deadline: Deadline, unacknowledgedLimit: Duration = TCPConnect.unacknowledgedLimit
    ) throws(Failure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var received = 0
        while received < count {
            try wait(descriptor, for: Int16(POLLIN), deadline, unacknowledgedLimit)
            let result = bytes.withUnsafeMutableBytes { buffer in
                Result { () throws(POSIXFailure) in
                    try POSIX.receive(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: buffer[received...]))
                }
            }
            switch result {
            case .success(0): throw .closed(received: received)
            case .success(let got): received += got
            case .failure(let failure) where failure.errno == .wouldBlock: continue
            case .failure(let failure) where failure.errno == .connectionReset: throw .closed(received: received)
            case .failure(let failure) where failure.errno == .timedOut: throw .unacknowledged
            case .failure(let failure): throw .system(failure.errno)
            }
        }
        return bytes
    }

    /// Waits in slices, looking between them at what the peer has acknowledged: the kernel's own limit
    /// (TCP_USER_TIMEOUT) is only checked when a retransmission is due, and a connection that was made by a SYN
    /// the kernel sent again has its retransmissions backed off to tens of seconds.
    private static func wait(_ descriptor: Int32, for events: Int16, _ deadline: Deadline, _ unacknowledgedLimit: Duration) throws(Failure)
    {
        var waiting = [pollfd(fd: descriptor, events: events, revents: 0)]
        var ready: Int32
        repeat {
            do {
                ready = try POSIX.poll(&waiting, milliseconds: min(deadline.remainingMilliseconds, 250))
            } catch {
                throw .system(error.errno)
            }
            if ready == 0, let silent = TCPConnect.unacknowledgedFor(descriptor), silent > unacknowledgedLimit { throw .unacknowledged }
            // poll's whole milliseconds can end just short of the deadline: only a spent budget is a timeout.
        } while ready == 0 && !deadline.isExpired
        if ready == 0 { throw .timedOut }
    }
}
