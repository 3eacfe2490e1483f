import AdjoinCore
import Testing
import TestSupport
@testable import Discovery

/// Which of a DC's addresses the locator pings, by the address families the host has, against a scripted
/// resolver. The addresses are this machine's loopback at the discard port, where nothing listens: every
/// ping is refused at once, and the error lists what was pinged.
@Suite struct AddressFamilyTests {
    static let domain = try! DomainName("corp.example.com")
    static let srvName = "_ldap._tcp.dc._msdcs.corp.example.com"
    static let srv = SRVRecord(priority: 0, weight: 100, port: 9, target: "dc1.corp.example.com")

    func pinged(_ resolver: FakeResolver, families: AddressFamilies) -> String {
        let locator = DomainControllerLocator(domain: Self.domain, resolvers: resolver, families: families)
        defer { resolver.script.finish() }
        do {
            _ = try locator.locate(deadline: Deadline(seconds: 5))
            Issue.record("a DC answered at the discard port")
            return ""
        } catch {
            return error.message
        }
    }

    /// The SRV answer carries only the DC's A record: an IPv6-only host asks for its AAAA record and pings
    /// that address alone.
    @Test func anIPv6OnlyHostAsksForTheAAAARecordAndPingsOverIPv6() {
        let message = pinged(
            FakeResolver([
                .query(
                    name: Self.srvName, type: DNSAnswer.typeService,
                    answer: .success(DNSAnswer(srv: [Self.srv], addresses: ["dc1.corp.example.com": ["127.0.0.1"]]))),
                .query(
                    name: "dc1.corp.example.com", type: DNSAnswer.typeAddress,
                    answer: .success(DNSAnswer(addresses: ["dc1.corp.example.com": ["127.0.0.1"]]))),
                .query(
                    name: "dc1.corp.example.com", type: DNSAnswer.typeIPv6Address,
                    answer: .success(DNSAnswer(addresses: ["dc1.corp.example.com": ["::1"]]))),
            ]), families: AddressFamilies(ipv4: false, ipv6: true))
        #expect(message.contains("dc1.corp.example.com ([::1]:9)"), "\(message)")
        #expect(!message.contains("127.0.0.1"), "\(message)")
    }

    /// A host with IPv4 keeps to the DC's IPv4 addresses, as adjoin always did, and asks nothing more.
    @Test func aHostWithIPv4PingsTheIPv4Address() {
        let message = pinged(
            FakeResolver([
                .query(
                    name: Self.srvName, type: DNSAnswer.typeService,
                    answer: .success(DNSAnswer(srv: [Self.srv], addresses: ["dc1.corp.example.com": ["127.0.0.1", "::1"]])))
            ]), families: AddressFamilies(ipv4: true, ipv6: true))
        #expect(message.contains("dc1.corp.example.com (127.0.0.1:9)"), "\(message)")
        #expect(!message.contains("::1"), "\(message)")
    }

    @Test func choosingAmongAddresses() {
        let v4 = SocketAddress(numericHost: "10.0.0.5", port: 389)!
        let v6 = SocketAddress(numericHost: "fd00::5", port: 389)!
        #expect(AddressFamilies(ipv4: true, ipv6: true).choose([v6, v4]) == [v4])
        #expect(AddressFamilies(ipv4: false, ipv6: true).choose([v4, v6]) == [v6])
        // A DC with only the other family's address: try it rather than nothing.
        #expect(AddressFamilies(ipv4: true, ipv6: false).choose([v6]) == [v6])
        #expect(AddressFamilies(ipv4: true, ipv6: true).choose([v6]) == [v6])
        #expect(AddressFamilies.isLoopbackOrLinkLocal(ipv6: SocketAddress(numericHost: "fe80::1", port: 0)!.addressBytes))
        #expect(AddressFamilies.isLoopbackOrLinkLocal(ipv6: SocketAddress(numericHost: "::1", port: 0)!.addressBytes))
        #expect(!AddressFamilies.isLoopbackOrLinkLocal(ipv6: SocketAddress(numericHost: "fd00:ad:22::1", port: 0)!.addressBytes))
    }
}
