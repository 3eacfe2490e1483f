import Foundation
import TestSupport
#if canImport(Glibc)
    import Glibc
#endif

/// A TCP relay on loopback in front of a Kerberos-framed service (RFC 4120 7.2.2: a 4-byte length,
/// then the message): it hands each request to the real service and reads the service's answer, then
/// either closes the client's connection without passing the answer on, as a network that loses a
/// reply, or sends another answer in its place, as a server of another make would answer.
final class ReplyDroppingRelay: @unchecked Sendable {
    private let server: LoopbackTCPServer
    private let forwarded = Locked(0)

    var port: UInt16 { server.port }

    /// `replacement`: what the client gets instead of the service's answer; nil drops it.
    init(to service: (host: String, port: UInt16), replacement: [UInt8]? = nil) throws {
        let forwarded = self.forwarded
        server = try LoopbackTCPServer { client, _ in
            if let request = KerberosFraming.readFrame(client), Self.ask(service, request) != nil {
                forwarded.withLock { $0 += 1 }
                if let replacement { KerberosFraming.writeFrame(client, replacement) }
            }
        }
    }

    /// Requests the service answered (and whose answers were dropped or replaced).
    var answeredAndDropped: Int { forwarded.withLock { $0 } }

    /// One framed request to the service, and its framed answer (nil if none came within 10 s).
    private static func ask(_ service: (host: String, port: UInt16), _ request: [UInt8]) -> [UInt8]? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(service.host)
        address.sin_port = service.port.bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        KerberosFraming.writeFrame(fd, request)
        return KerberosFraming.readFrame(fd)
    }
}
