import AdjoinCore
import Foundation
import Testing
@testable import AWS

/// The IMDSv2 client against the lab's emulator (scripts/lab-support/imds.py).
@Suite(.needsLab) struct InstanceMetadataIntegrationTests {
    let lab: AWSLab
    init() throws { lab = try AWSLab.current() }

    @Test func readsIdentityHostnameAddressAndTags() throws {
        let imds = try PrivateIMDS(state: [
            "instanceId": "i-0aaaabbbbccccdddd", "accountId": "210987654321", "region": "eu-central-1", "availabilityZone": "eu-central-1b",
            "localHostname": "ip-10-1-2-3.eu-central-1.compute.internal", "localIpv4": "10.1.2.3",
            "tags": ["Name": "web 1", "adGroupName": "linux-admins", "team+role": "a=b"], "tagsExposed": true,
            "lifecycleState": "InService", "spotInstanceAction": ["action": "terminate", "time": "2026-01-01T00:00:00Z"],
        ])
        defer { _ = imds.stop() }
        let metadata = try InstanceMetadata(endpoint: try Endpoint(parsing: imds.endpoint, source: "test"))
        let deadline = Deadline(seconds: 10)
        #expect(
            try metadata.identity(deadline: deadline)
                == InstanceIdentity(
                    instanceId: "i-0aaaabbbbccccdddd", accountId: "210987654321", region: "eu-central-1", availabilityZone: "eu-central-1b")
        )
        #expect(try metadata.hostname(deadline: deadline) == "ip-10-1-2-3.eu-central-1.compute.internal")
        #expect(try metadata.localIPv4(deadline: deadline) == "10.1.2.3")
        #expect(try metadata.tags(deadline: deadline) == ["Name": "web 1", "adGroupName": "linux-admins", "team+role": "a=b"])
        #expect(try metadata.lifecycleState(deadline: deadline) == "InService")
        let spot = try #require(try metadata.spotInstanceAction(deadline: deadline))
        #expect(spot.contains("terminate"))
    }

    @Test func tagsLifecycleAndSpotAreNilWhenTheInstanceHasNone() throws {
        let imds = try PrivateIMDS(state: ["tagsExposed": false, "lifecycleState": NSNull(), "spotInstanceAction": NSNull()])
        defer { _ = imds.stop() }
        let metadata = try InstanceMetadata(endpoint: try Endpoint(parsing: imds.endpoint, source: "test"))
        #expect(try metadata.tags(deadline: Deadline(seconds: 10)) == nil)
        #expect(try metadata.lifecycleState(deadline: Deadline(seconds: 10)) == nil)
        #expect(try metadata.spotInstanceAction(deadline: Deadline(seconds: 10)) == nil)
    }

    /// Tokens that the service drops after 3 s although 6 hours were asked for: the read after that
    /// gets 401, and the client takes one new token and reads again. (3 s, not less: the first read
    /// must reach the emulator within the token's life on a loaded machine.)
    @Test func aTokenThatExpiresMidRunIsReplacedOnce() throws {
        let imds = try PrivateIMDS(state: ["tokenTtlCapSeconds": 3])
        let metadata = try InstanceMetadata(endpoint: try Endpoint(parsing: imds.endpoint, source: "test"))
        #expect(try metadata.localIPv4(deadline: Deadline(seconds: 10)) == "10.0.0.12")
        Thread.sleep(forTimeInterval: 3.3)
        #expect(try metadata.hostname(deadline: Deadline(seconds: 10)) == "ip-10-0-0-12.ec2.internal")
        let log = imds.stop()
        #expect(
            log == [
                "PUT /latest/api/token 200", "GET /latest/meta-data/local-ipv4 200",
                "GET /latest/meta-data/local-hostname 401", "PUT /latest/api/token 200", "GET /latest/meta-data/local-hostname 200",
            ])
    }

    @Test func oneTokenServesManyReads() throws {
        let imds = try PrivateIMDS(state: [:])
        let metadata = try InstanceMetadata(endpoint: try Endpoint(parsing: imds.endpoint, source: "test"))
        for _ in 0..<3 { _ = try metadata.identity(deadline: Deadline(seconds: 10)) }
        let log = imds.stop()
        #expect(log.filter { $0.hasPrefix("PUT") }.count == 1)
        #expect(log.filter { $0.hasPrefix("GET /latest/dynamic/instance-identity/document 200") }.count == 3)
    }

    @Test func unreachableMetadataIsANetworkErrorThatNamesIt() throws {
        // A port nothing listens on: connections are refused at once, three times.
        let socket = try ClosedPort()
        let endpoint = "http://127.0.0.1:\(socket.port)"
        let metadata = try InstanceMetadata(endpoint: try Endpoint(parsing: endpoint, source: "test"))
        let start = ContinuousClock.now
        let error = #expect(throws: AdjoinError.self) { try metadata.identity(deadline: Deadline(seconds: 10)) }
        #expect(error?.status == .networkError)
        #expect(error?.message.contains("instance metadata at \(endpoint)") == true)
        #expect(error?.message.contains("3 attempts") == true)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    /// A service that accepts the connection and never answers: the deadline ends the wait, as TIMEOUT.
    @Test func silentMetadataEndsAtTheDeadline() throws {
        let listener = try SilentListener()
        let endpoint = "http://127.0.0.1:\(listener.port)"
        let metadata = try InstanceMetadata(endpoint: try Endpoint(parsing: endpoint, source: "test"))
        let start = ContinuousClock.now
        let error = withExtendedLifetime(listener) {
            #expect(throws: AdjoinError.self) { try metadata.hostname(deadline: Deadline(seconds: 1.5)) }
        }
        #expect(error?.status == .timeout, "\(error?.message ?? "no error")")
        #expect(error?.message.contains("instance metadata at \(endpoint)") == true)
        // Generous for a loaded machine, yet far short of waiting forever on a silent peer.
        #expect(ContinuousClock.now - start < .seconds(8))
    }

    @Test func theEndpointComesFromTheEnvironment() throws {
        let environment = AWSEnvironment(variables: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": lab.imdsEndpoint])
        let metadata = try InstanceMetadata(environment: environment)
        #expect(metadata.endpoint.description == lab.imdsEndpoint)
        let state = try lab.imdsStateDocument()
        #expect(try metadata.identity(deadline: Deadline(seconds: 10)).instanceId == state["instanceId"] as? String)
        #expect(try InstanceMetadata(environment: AWSEnvironment(variables: [:])).endpoint.description == "http://169.254.169.254")
    }
}

/// A TCP socket bound to an ephemeral loopback port, listening when asked.
private func loopbackSocket(listening: Bool) throws -> (descriptor: Int32, port: Int) {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ready = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, length) == 0 && (!listening || listen(descriptor, 8) == 0) && getsockname(descriptor, $0, &length) == 0
        }
    }
    guard ready else {
        close(descriptor)
        throw POSIXError(.EADDRNOTAVAIL)
    }
    return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
}

/// A loopback socket that listens and never accepts: connections complete, requests get no answer.
final class SilentListener {
    let descriptor: Int32
    let port: Int
    init() throws { (descriptor, port) = try loopbackSocket(listening: true) }
    deinit { close(descriptor) }
}

/// A loopback port that was bound and released, so that connecting to it is refused.
struct ClosedPort {
    let port: Int
    init() throws {
        let (descriptor, port) = try loopbackSocket(listening: false)
        close(descriptor)
        self.port = port
    }
}
