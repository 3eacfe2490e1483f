import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// A datagram read by a test's UDP peer, and the address to answer.
struct ReceivedDatagram {
    var peer = sockaddr_in()
    var peerLength = socklen_t(MemoryLayout<sockaddr_in>.size)
    /// The bytes read; 0 or less when the socket was shut down or failed.
    var count = 0

    /// recvfrom into `buffer`, again after EINTR.
    init(from fd: Int32, into buffer: inout [UInt8]) {
        repeat {
            count = withUnsafeMutablePointer(to: &peer) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    buffer.withUnsafeMutableBytes { recvfrom(fd, $0.baseAddress, $0.count, 0, address, &peerLength) }
                }
            }
        } while count < 0 && errno == EINTR
    }

    /// Sends `bytes` back to the peer, from `fd`.
    mutating func answer(_ bytes: ArraySlice<UInt8>, from fd: Int32) {
        _ = withUnsafePointer(to: &peer) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, address, peerLength) }
            }
        }
    }
}
