import AdjoinCore
@testable import Membership
import Testing

/// The head start a join's locate leaves for its open: only the newest is kept (an attempt that failed
/// before its login left one whose connections the DC may have closed since), and only a session for
/// the same DC and principal takes it. Nothing listens on the loopback address used: the connections
/// and the datagram are refused, which is no concern here.
@Suite struct HeadStartTests {
    let address = SocketAddress(numericHost: "127.0.0.1", port: 0)!

    @Test func theNewestHeadStartReplacesAnEarlierOneAndIsTakenOnce() throws {
        let starts = HeadStarts()
        let first = try #require(HeadStart(address: address, realm: "UNIT.EXAMPLE.TEST", principal: "joiner@UNIT.EXAMPLE.TEST"))
        let second = try #require(HeadStart(address: address, realm: "UNIT.EXAMPLE.TEST", principal: "joiner@UNIT.EXAMPLE.TEST"))
        starts.add(first)
        starts.add(second)
        #expect(starts.take(address, "someone@UNIT.EXAMPLE.TEST") == nil, "another principal's session does not take it")
        let other = SocketAddress(numericHost: "127.0.0.2", port: 389)!
        #expect(starts.take(other, "joiner@UNIT.EXAMPLE.TEST") == nil, "another DC's session does not take it")
        #expect(starts.take(SocketAddress(numericHost: "127.0.0.1", port: 389)!, "joiner@UNIT.EXAMPLE.TEST") === second)
        #expect(starts.take(address, "joiner@UNIT.EXAMPLE.TEST") == nil, "taken once")
    }
}
