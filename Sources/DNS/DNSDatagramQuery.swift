import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif

/// One query over UDP, sent at once and its answer read later: a question whose answer is needed only
/// after other exchanges (whether the DC holds the reverse zone of an address, asked while the update
/// of the A record goes on), so that it costs no round trip of its own. Not retransmitted: a lost
/// answer is no answer.
public final class DNSDatagramQuery {
    private var descriptor: Int32 = -1
    private let id: UInt16
    public let name: String

    public init(_ server: SocketAddress, name: String, type: UInt16) {
        self.name = name
        var random = SystemRandomNumberGenerator()
        id = random.next()
        var query = DNSMessage(id: id, opcode: DNSMessage.opcodeQuery)
        query.questions = [DNSQuestion(name: name, type: type)]
        guard let bytes = try? query.encoded() else { return }
        let socket = Glibc.socket(server.family == .ipv4 ? AF_INET : AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { return }
        guard server.withSockaddr({ connect(socket, $0, $1) }) == 0,
            bytes.withUnsafeBytes({ send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count
        else {
            close(socket)
            return
        }
        descriptor = socket
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// The answer with this query's id, if one comes before `deadline`; nil otherwise (or malformed).
    public func answer(deadline: Deadline) -> DNSMessage? {
        guard descriptor >= 0 else { return nil }
        while !deadline.isExpired {
            var waiting = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
            guard let ready = try? POSIX.poll(&waiting, milliseconds: deadline.remainingMilliseconds), ready > 0 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count >= 12 else { return nil }
            guard let message = try? DNSMessage(decoding: Array(buffer.prefix(count))), message.isResponse else { return nil }
            if message.id == id { return message }
        }
        return nil
    }
}

extension DNSMessage {
    /// The zone that holds `name`, when this answer is authoritative for it (AA set, NOERROR or
    /// NXDOMAIN) and names the zone by its SOA record; nil when the server does not hold such a zone.
    public func authoritativeZone(for name: String) -> String? {
        guard flags & 0x0400 != 0, rcode == .noError || rcode == .nameError else { return nil }
        let wanted = name.lowercased()
        let soa = (answers + authorities).first { record in
            let owner = record.owner.lowercased()
            return record.type == DNSType.soa && !owner.isEmpty && (wanted == owner || wanted.hasSuffix("." + owner))
        }
        return soa?.owner.lowercased()
    }
}
