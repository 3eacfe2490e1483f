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
    private var descriptor: Int32 = -1
    /// The open connection has answered a request: a close now may be the server dropping an idle
    /// connection, not a refusal of the request about to be sent.
    private var answeredOnThisConnection = false
    /// Connections opened and requests answered so far: what a join costs in round trips to the KDC.
    private(set) var connections = 0
    private(set) var exchanges = 0

    /// Replies larger than this are refused (a PAC-laden AS-REP is a few kilobytes).
    static let maximumReply = 1 << 20

    public init(address: SocketAddress, realm: String, service: String = "the KDC") {
        self.address = address
        self.realm = realm
        self.service = service
    }

    /// A connection to the kpasswd service of the DC at `host`: on port 464 unless `port` says otherwise.
    public convenience init(kpasswdAt host: SocketAddress, port: UInt16 = 464, realm: String) {
        self.init(address: SocketAddress(family: host.family, addressBytes: host.addressBytes, port: port), realm: realm,
                  service: "the kpasswd server")
    }

    deinit {
        disconnect()
    }

    /// This end's address of the connection, connecting first if need be: a KRB-PRIV names its
    /// sender's address (RFC 4120 5.7.1), so it must be the one the server sees.
    func localAddress(deadline: Deadline) throws(KerberosError) -> SocketAddress {
        if descriptor < 0 { try connect(deadline) }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0, let address = SocketAddress(storage) else {
            let reason = Errno.current.description
            disconnect()
            throw KerberosError(code: .kdcUnreachable, message: "cannot read the local address: \(reason)",
                                operation: "talking to \(service) at \(address)")
        }
        return address
    }

    /// Sends one request and returns the reply (from a KDC an AS-REP, TGS-REP or KRB-ERROR; from a
    /// kpasswd server an RFC 3244 reply), undecoded.
    func exchange(_ request: [UInt8], deadline: Deadline) throws(KerberosError) -> [UInt8] {
        let reused = descriptor >= 0 && answeredOnThisConnection
        if descriptor < 0 { try connect(deadline) }
        do {
            return try roundTrip(request, deadline)
        } catch .closedBeforeReply where reused {
            // A KDC may close a connection that sat idle (during the LDAP work between two logins):
            // one new connection, and the request again (AS and TGS requests can be repeated; a
            // kpasswd connection carries one request, so it never gets here).
            disconnect()
            try connect(deadline)
        } catch {
            disconnect()
            throw failure(error)
        }
        do {
            return try roundTrip(request, deadline)
        } catch {
            disconnect()
            throw failure(error)
        }
    }

    /// After a failure the stream's position is unknown (a late reply would be read as the next one).
    private func disconnect() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        answeredOnThisConnection = false
    }

    private func connect(_ deadline: Deadline) throws(KerberosError) {
        do {
            descriptor = try TCPConnect.open(address, deadline: deadline, purpose: service)
            connections += 1
        } catch {
            throw KerberosError(code: .kdcUnreachable, message: error.message, operation: "connecting to \(service) at \(address)")
        }
    }

    private func roundTrip(_ request: [UInt8], _ deadline: Deadline) throws(KDCTransportFailure) -> [UInt8] {
        let length = UInt32(request.count)
        let header: [UInt8]
        do {
            try StreamSocket.send([UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + request,
                                  on: descriptor, deadline: deadline)
            header = try StreamSocket.receive(4, on: descriptor, deadline: deadline)
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
    case system(Errno)
    case malformed(String)

    init(_ failure: StreamSocket.Failure) {
        switch failure {
        case .timedOut: self = .timedOut
        case .closed: self = .malformed("a reply cut short")
        case .system(let errno): self = .system(errno)
        }
    }
}
