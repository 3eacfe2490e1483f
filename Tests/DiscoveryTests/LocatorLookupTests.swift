import AdjoinCore
import Testing
import TestSupport
@testable import Discovery

/// Which lookups the DC locator makes, and what it says when they fail, against a scripted resolver
/// (nothing reaches a network: each case ends before the LDAP ping).
@Suite struct LocatorLookupTests {
    static let domain = try! DomainName("corp.example.com")

    func locate(_ resolver: FakeResolver, controllers: [HostPort] = [], dnsServers: [SocketAddress] = []) -> AdjoinError? {
        let locator = DomainControllerLocator(
            domain: Self.domain, domainControllers: controllers, dnsServers: dnsServers,
            required: [.ldap, .kdc, .writable], resolvers: resolver)
        defer { resolver.script.finish() }
        do {
            _ = try locator.locate(deadline: Deadline(seconds: 5))
            Issue.record("a DC was found where no lookup gave an address")
            return nil
        } catch {
            return error
        }
    }

    @Test func aDomainWithoutItsSRVRecordIsNotFound() {
        let error = locate(
            FakeResolver([
                .query(
                    name: "_ldap._tcp.dc._msdcs.corp.example.com", type: DNSAnswer.typeService,
                    answer: .failure(AdjoinError(.domainNotFound, "DNS name does not exist")))
            ]))
        #expect(error?.status == .domainNotFound)
        #expect(error?.message.contains("check the domain name") == true, "\(String(describing: error))")
    }

    @Test func aGivenDCNameGoesToTheSystemResolverWithoutDNSServers() {
        // /etc/hosts and nsswitch apply to names a user typed: getaddrinfo, not a DNS query.
        let error = locate(
            FakeResolver([
                .system(host: "dc1.corp.example.com", answer: .failure(AdjoinError(.networkError, "dc1.corp.example.com does not resolve")))
            ]), controllers: [try! HostPort(parsing: "dc1.corp.example.com")])
        #expect(error?.status == .networkError)
        #expect(error?.message.contains("none of the given domain controllers resolves") == true, "\(String(describing: error))")
    }

    @Test func aGivenDCNameGoesToTheDNSServersGiven() {
        let server = SocketAddress(numericHost: "10.0.0.2", port: 53)!
        let error = locate(
            FakeResolver(
                servers: [server],
                [
                    .query(name: "dc1.corp.example.com", type: DNSAnswer.typeAddress, answer: .success(DNSAnswer())),
                    .query(name: "dc1.corp.example.com", type: DNSAnswer.typeIPv6Address, answer: .success(DNSAnswer())),
                ]), controllers: [try! HostPort(parsing: "dc1.corp.example.com")], dnsServers: [server])
        #expect(
            error?.message.contains("dc1.corp.example.com has no address in DNS (asked 10.0.0.2)") == true, "\(String(describing: error))")
    }

    @Test func srvTargetsWithoutAddressesAreLookedUpAndReported() {
        let answer = DNSAnswer(srv: [SRVRecord(priority: 0, weight: 100, port: 389, target: "dc1.corp.example.com")])
        let error = locate(
            FakeResolver([
                .query(name: "_ldap._tcp.dc._msdcs.corp.example.com", type: DNSAnswer.typeService, answer: .success(answer)),
                .query(name: "dc1.corp.example.com", type: DNSAnswer.typeAddress, answer: .success(DNSAnswer())),
                .query(name: "dc1.corp.example.com", type: DNSAnswer.typeIPv6Address, answer: .success(DNSAnswer())),
            ]))
        #expect(error?.status == .networkError)
        #expect(error?.message.contains("none of their names resolves to an address") == true, "\(String(describing: error))")
    }
}
