import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif

/// One TCP connection to a DNS server (RFC 1035 4.2.2 framing: a 2-byte length, then the message).
/// A GSS-TSIG key lives only as long as the server keeps it, and a TKEY's token does not fit a UDP
/// datagram, so the negotiation and the update it signs go over this one connection.
public final class DNSStream {
    public let address: SocketAddress
    private var descriptor: Int32
    /// The connection is still on its way (`connecting`): the first exchange waits for it.
    private var connected: Bool
    /// Requests answered on this connection: what an update costs in round trips.
    public private(set) var exchanges = 0
    /// Connections opened: more than one when the server's host never took the first.
    public private(set) var connections = 1
    /// How long a request may stay unacknowledged before it goes again on a new connection (tests shorten it).
    public var unacknowledgedLimit = TCPConnect.unacknowledgedLimit

    public init(_ address: SocketAddress, deadline: Deadline) throws(AdjoinError) {
        self.address = address
        descriptor = try TCPConnect.open(address, deadline: deadline, purpose: "the DNS server")
        connected = true
    }

    /// A connection begun and not waited for, so that its handshake overlaps other work (the join opens
    /// it before the Kerberos exchange that fetches the update's ticket: one round trip saved).
    public init(connecting address: SocketAddress) throws(AdjoinError) {
        self.address = address
        descriptor = try TCPConnect.start(address, purpose: "the DNS server")
        connected = false
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// This end's address of the connection: the address the DNS server sees this host by.
    public var localAddress: SocketAddress? {
        guard connected else { return nil }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return named == 0 ? SocketAddress(storage) : nil
    }

    /// The address records of `name` (A, or AAAA), asked in a plain query: what the server holds now.
    public func addresses(of name: String, type: UInt16 = DNSType.a, deadline: Deadline) throws(AdjoinError) -> [SocketAddress] {
        var random = SystemRandomNumberGenerator()
        var query = DNSMessage(id: random.next(), opcode: DNSMessage.opcodeQuery)
        query.questions = [DNSQuestion(name: name, type: type)]
        let bytes: [UInt8]
        do {
            bytes = try query.encoded()
        } catch {
            throw .invalidInput("cannot ask for \(name): \(error)")
        }
        let reply: DNSMessage
        do {
            reply = try DNSMessage(decoding: try exchange(bytes, deadline: deadline))
        } catch {
            throw .network("malformed answer for \(name) from the DNS server at \(address): \(error)")
        }
        guard reply.isResponse, reply.rcode == .noError || reply.rcode == .nameError else {
            throw .network("the DNS server at \(address) answered the query for \(name) with \(reply.rcode)")
        }
        let length = type == DNSType.a ? 4 : 16
        return reply.answers.filter { $0.type == type && $0.data.count == length && $0.owner.lowercased() == name.lowercased() }
            .map { SocketAddress(family: type == DNSType.a ? .ipv4 : .ipv6, addressBytes: $0.data, port: 0) }
    }

    /// This host's address toward `destination`, as the kernel's routing picks it: a UDP socket is
    /// connected (which sends nothing) and asked its name.
    public static func localAddress(toward destination: SocketAddress) -> SocketAddress? {
        let descriptor = socket(
            destination.family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        guard destination.withSockaddr({ connect(descriptor, $0, $1) }) == 0 else { return nil }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return named == 0 ? SocketAddress(storage).map { SocketAddress(family: $0.family, addressBytes: $0.addressBytes, port: 0) } : nil
    }

    /// Sends `request` and returns the reply with the same id, undecoded beyond its header.
    public func exchange(_ request: [UInt8], deadline: Deadline) throws(AdjoinError) -> [UInt8] {
        guard descriptor >= 0 else { throw .network("the connection to the DNS server at \(address) was closed after an earlier failure") }
        guard request.count >= 12, request.count <= Int(UInt16.max) else {
            throw .invalidInput("a DNS message of \(request.count) bytes cannot be sent")
        }
        while true {
            if !connected {
                do {
                    descriptor = try TCPConnect.finish(
                        descriptor, address, deadline: deadline, purpose: "the DNS server", unacknowledgedLimit: unacknowledgedLimit)
                    connected = true
                } catch {
                    descriptor = -1
                    throw error
                }
            }
            switch roundTrip(request, deadline: deadline) {
            case .success(let reply):
                exchanges += 1
                return reply
            case .failure(.unacknowledged) where exchanges == 0:
                // The server's host never took this connection (its listen queue was full when the handshake
                // ended), so the server holds nothing of it: the request goes again on a new one.
                drop()
                descriptor = try TCPConnect.start(address, purpose: "the DNS server")
                connected = false
                connections += 1
            case .failure(let failure):
                drop()
                throw describe(failure)
            case .answer(let error):
                drop()
                throw error
            }
        }
    }

    /// After a failure the stream's position is unknown: a late reply would be read as the next one.
    private func drop() {
        close(descriptor)
        descriptor = -1
    }

    private enum Outcome {
        case success([UInt8])
        case failure(StreamSocket.Failure)
        case answer(AdjoinError)
    }

    private func roundTrip(_ request: [UInt8], deadline: Deadline) -> Outcome {
        do throws(StreamSocket.Failure) {
            try StreamSocket.send(
                [UInt8(request.count >> 8), UInt8(request.count & 0xFF)] + request, on: descriptor, deadline: deadline,
                unacknowledgedLimit: unacknowledgedLimit)
            let header = try StreamSocket.receive(2, on: descriptor, deadline: deadline, unacknowledgedLimit: unacknowledgedLimit)
            let length = Int(header[0]) << 8 | Int(header[1])
            guard length >= 12 else { return .answer(.network("the DNS server at \(address) sent a reply of \(length) bytes")) }
            let reply = try StreamSocket.receive(length, on: descriptor, deadline: deadline)
            return reply[0] == request[0] && reply[1] == request[1]
                ? .success(reply) : .answer(.network("the DNS server at \(address) answered another message than the one sent"))
        } catch {
            return .failure(error)
        }
    }

    private func describe(_ failure: StreamSocket.Failure) -> AdjoinError {
        switch failure {
        case .timedOut: .timeout("no answer from the DNS server at \(address) within the time budget")
        case .closed: .network("the DNS server at \(address) closed the connection without a whole answer")
        case .unacknowledged: .network("the DNS server's host at \(address) never acknowledged the request")
        case .system(let errno): .network("cannot talk to the DNS server at \(address): \(errno)")
        }
    }
}
