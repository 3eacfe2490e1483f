import AdjoinCore
import TestSupport
import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import Testing
@testable import Discovery

/// Discovery against the lab's real Samba AD DC.
@Suite(.needsLab) struct DiscoveryIntegrationTests {
    let lab: Lab
    init() throws { lab = try Lab.current() }

    private func dnsServer() throws -> SocketAddress {
        try #require(SocketAddress(numericHost: lab.dcIP, port: 53))
    }

    @Test func findsTheDCThroughDNS() throws {
        let locator = DomainControllerLocator(domain: try DomainName(lab.domain), dnsServers: [try dnsServer()])
        let result = try locator.locate(deadline: Deadline(seconds: 10))
        #expect(result.source == .dns)
        #expect(result.controller.hostName == lab.dcHost)
        #expect(result.controller.address.host == lab.dcIP)
        #expect(result.controller.netlogon.netbiosDomain == lab.netbios)
        #expect(result.controller.netlogon.dcSite == "Default-First-Site-Name")
        #expect(result.controller.netlogon.flags.contains([.ldap, .kdc, .writable, .closest]))
        #expect(result.candidates.first?.name == lab.dcHost)
    }

    @Test func findsTheDCGivenExplicitly() throws {
        let locator = DomainControllerLocator(
            domain: try DomainName(lab.domain),
            domainControllers: [try HostPort(parsing: lab.dcIP)])
        let result = try locator.locate(deadline: Deadline(seconds: 10))
        #expect(result.source == .given)
        #expect(result.controller.hostName == lab.dcHost)
        #expect(result.controller.netlogon.forest == lab.domain)
    }

    /// A name under the lab's own zone, which the DC answers with NXDOMAIN itself, as AD's DNS answers a
    /// mistyped child domain: a name outside it goes to the lab DC's forwarder, itself, and comes back
    /// empty after a second, or later on a loaded machine (a NETWORK_ERROR seen once under load).
    @Test func unknownDomainIsDomainNotFound() throws {
        let unknown = "no-such-domain." + lab.domain
        let locator = DomainControllerLocator(domain: try DomainName(unknown), dnsServers: [try dnsServer()])
        let error = #expect(throws: AdjoinError.self) { try locator.locate(deadline: Deadline(seconds: 10)) }
        #expect(error?.status == .domainNotFound, "\(error?.message ?? "")")
        #expect(error?.message.contains("_ldap._tcp.dc._msdcs.\(unknown)") == true)
    }

    @Test func aDCOfAnotherDomainIsNotTaken() throws {
        let locator = DomainControllerLocator(
            domain: try DomainName("other.example.org"),
            domainControllers: [try HostPort(parsing: lab.dcIP)])
        let error = #expect(throws: AdjoinError.self) { try locator.locate(deadline: Deadline(seconds: 10)) }
        #expect(error?.status == .domainNotFound)
        #expect(error?.message.contains("does not serve") == true)
    }

    /// A silent DC listed first must not delay the ping of a live one: pings go out together, and
    /// only then are the silent ones asked again. Both candidates are one fake socket (the same
    /// address twice, which the locator keeps apart by message id), so the order in which its one
    /// queue received the datagrams is the order they were sent, whatever the machine's load.
    @Test func aSilentDCDoesNotHoldUpALiveOne() throws {
        let lab = self.lab
        let arrivals = Locked<[Int64]>([])
        let server = try FakeUDPServer { request in
            guard let id = try? LDAPPing.messageID(ofReply: request) else { return nil }
            arrivals.withLock { $0.append(id) }
            return id == 2 ? Self.askTheRealDC(request, at: lab.dcIP) : nil
        }
        defer { server.close() }
        let address = HostPort(host: "127.0.0.1", port: server.port)
        let locator = DomainControllerLocator(domain: try DomainName(lab.domain), domainControllers: [address, address])
        let result = try locator.locate(deadline: Deadline(seconds: 10))
        #expect(result.controller.hostName == lab.dcHost)
        #expect(result.candidates.map(\.outcome) == [.silent, .answered])
        let order = arrivals.withLock { $0 }
        let liveAsked = try #require(order.firstIndex(of: 2), "the live DC was never pinged: \(order)")
        let silentAskedAgain = order.indices.filter { order[$0] == 1 }.dropFirst().first ?? order.endIndex
        // Serial pinging would have retried the silent DC (or waited it out) before asking the live one.
        #expect(liveAsked < silentAskedAgain, "arrival order \(order)")
        #expect(order.contains(1), "the silent DC was never pinged: \(order)")
    }

    @Test func onlySilentDCsEndInNetworkErrorAtTheDeadlineWithRetransmissions() throws {
        let silent = try FakeUDPServer { _ in nil }
        defer { silent.close() }
        let locator = DomainControllerLocator(
            domain: try DomainName(lab.domain),
            domainControllers: [HostPort(host: "127.0.0.1", port: silent.port)])
        // 3 s: the third ping (at 1.5 s) goes out well within it even when the machine is loaded.
        let deadline = Deadline(seconds: 3)
        let error = #expect(throws: AdjoinError.self) { try locator.locate(deadline: deadline) }
        #expect(error?.status == .networkError)
        #expect(error?.message.contains("did not answer") == true)
        #expect(deadline.elapsed >= .seconds(3))
        // Far above what the deadline needs and far below never giving up: the machine may be loaded.
        #expect(deadline.elapsed < .seconds(8))
        // Sent at 0, 0.5 and 1.5 s: lost datagrams are retried within the budget.
        #expect(silent.datagramsReceived(reaching: 3) >= 3)
    }

    @Test func hostileRepliesAreSetAsideForARealDC() throws {
        let replies: [@Sendable ([UInt8]) -> [UInt8]?] = [
            { _ in [0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF] },  // absurd length
            { request in Self.reply(to: request, netlogon: [23, 0, 0, 0]) },  // truncated NetLogon
            { request in Self.reply(to: request, netlogon: Array(repeating: 0xC0, count: 64)) },
        ]
        let servers = try replies.map { try FakeUDPServer(respond: $0) }
        defer { servers.forEach { $0.close() } }
        let locator = DomainControllerLocator(
            domain: try DomainName(lab.domain),
            domainControllers: servers.map { HostPort(host: "127.0.0.1", port: $0.port) } + [try HostPort(parsing: lab.dcIP)])
        let result = try locator.locate(deadline: Deadline(seconds: 10))
        #expect(result.controller.address.host == lab.dcIP)
        #expect(result.controller.hostName == lab.dcHost)
    }

    @Test func onlyHostileRepliesAreANetworkErrorThatSaysWhy() throws {
        let server = try FakeUDPServer { request in Self.reply(to: request, netlogon: [23, 0, 0, 0, 0xFD]) }
        defer { server.close() }
        let locator = DomainControllerLocator(
            domain: try DomainName(lab.domain),
            domainControllers: [HostPort(host: "127.0.0.1", port: server.port)])
        let error = #expect(throws: AdjoinError.self) { try locator.locate(deadline: Deadline(seconds: 3)) }
        #expect(error?.status == .networkError)
        #expect(error?.message.contains("unreadable ping reply") == true)
    }

    /// Samba under load answers a ping with operationsError and no entry; that DC is asked again, not
    /// written off as serving another domain.
    @Test func aBusyAnswerIsAskedAgain() throws {
        let lab = self.lab
        let answered = Locked(0)
        let server = try FakeUDPServer { request in
            let first = answered.withLock { count in
                count += 1
                return count == 1
            }
            guard let id = try? LDAPPing.messageID(ofReply: request) else { return nil }
            if first {
                func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] { [tag, UInt8(content.count)] + content }
                return tlv(0x30, tlv(0x02, [UInt8(id)]) + tlv(0x65, tlv(0x0A, [1]) + tlv(0x04, []) + tlv(0x04, [])))
            }
            return Self.askTheRealDC(request, at: lab.dcIP)
        }
        defer { server.close() }
        let locator = DomainControllerLocator(
            domain: try DomainName(lab.domain),
            domainControllers: [HostPort(host: "127.0.0.1", port: server.port)])
        let result = try locator.locate(deadline: Deadline(seconds: 5))
        #expect(result.controller.hostName == lab.dcHost)
        #expect(server.datagramsReceived(reaching: 2) >= 2)
    }

    /// Relays one ping to the lab DC and returns its answer (which echoes the request's message id).
    static func askTheRealDC(_ request: [UInt8], at ip: String) -> [UInt8]? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(ip)
        address.sin_port = UInt16(389).bigEndian
        let sent = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, request, request.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard sent == request.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return count > 0 ? Array(buffer[0..<count]) : nil
    }

    /// A reply with the request's message id (so it is not dismissed as stray) and the given NetLogon value.
    static func reply(to request: [UInt8], netlogon: [UInt8]) -> [UInt8]? {
        guard let id = try? LDAPPing.messageID(ofReply: request) else { return nil }
        func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] { [tag, UInt8(content.count)] + content }
        let attribute = tlv(0x30, tlv(0x04, Array("netlogon".utf8)) + tlv(0x31, tlv(0x04, netlogon)))
        return tlv(0x30, tlv(0x02, [UInt8(id)]) + tlv(0x64, tlv(0x04, []) + tlv(0x30, attribute)))
    }
}

/// The `adjoin discover` command as users run it.
@Suite(.needsLab) struct DiscoverCommandTests {
    let lab: Lab
    init() throws { lab = try Lab.current() }

    @Test func jsonThroughAnExplicitDC() throws {
        let result = try runAgent(["discover", lab.domain, "--domain-controller", lab.dcIP, "--output", "json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["status"] as? String == "DISCOVERED")
        #expect(object["domainController"] as? String == lab.dcHost)
        #expect(object["domainControllerAddress"] as? String == lab.dcIP)
        #expect(object["netbiosDomain"] as? String == lab.netbios)
        #expect(object["dcSite"] as? String == "Default-First-Site-Name")
        #expect(object["clientSite"] as? String == "Default-First-Site-Name")
        #expect((object["dcFlags"] as? [String])?.contains("writable") == true)
        #expect(result.stdout.hasPrefix("{\n  \"status\""))
    }

    @Test func textThroughDNS() throws {
        let result = try runAgent(["discover", lab.domain, "--dns-server", lab.dcIP])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("domain-controller:"))
        #expect(result.stdout.contains(lab.dcHost))
        #expect(result.stdout.contains("status:                     DISCOVERED"))
        #expect(result.stderr.contains("Looking up _ldap._tcp.dc._msdcs.\(lab.domain) SRV"))
    }

    @Test func nothingListeningIsNetworkErrorWithItsExitCode() throws {
        let silent = try FakeUDPServer { _ in nil }
        defer { silent.close() }
        let result = try runAgent([
            "discover", lab.domain, "--domain-controller", "127.0.0.1:\(silent.port)",
            "--timeout", "1", "--output", "json",
        ])
        #expect(result.status == Status.networkError.exitCode)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["status"] as? String == "NETWORK_ERROR")
        #expect((object["durationMs"] as? Int).map { $0 >= 1000 && $0 < 6000 } == true)
    }

    @Test func badInputIsInvalidInputWithItsExitCode() throws {
        let result = try runAgent(["discover", "corp example", "--domain-controller", lab.dcIP])
        #expect(result.status == Status.invalidInput.exitCode)
        #expect(result.stderr.contains("INVALID_INPUT"))
        #expect(result.stdout.isEmpty)
    }
}
