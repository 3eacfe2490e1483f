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
        let descriptor = socket(address.family == .ipv4 ? AF_INET : AF_INET6,
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

    /// Waits until the connection `start` began is made (or refused), then makes the socket blocking.
    /// The socket is closed on failure.
    public static func finish(_ descriptor: Int32, _ address: SocketAddress, deadline: Deadline, purpose: String) throws(AdjoinError) -> Int32 {
        var waiting = [pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)]
        let ready = (try? POSIX.poll(&waiting, milliseconds: deadline.remainingMilliseconds)) ?? -1
        if ready == 0 {
            close(descriptor)
            throw .timeout("no TCP connection to \(purpose) at \(address) within the time budget")
        }
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &failure, &length)
        if ready < 0 || failure != 0 {
            let reason = (failure != 0 ? Errno(failure) : .current).description
            close(descriptor)
            throw .network("cannot connect to \(purpose) at \(address): \(reason)")
        }
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags & ~Int32(O_NONBLOCK))
        return descriptor
    }
}
