import AdjoinCore
import Testing
import TestSupport
@testable import AWS

/// Retries and backoff against a scripted transport: how many attempts, how long the pauses, and the
/// instance metadata token renewed once after a 401. Pauses are recorded, not slept.
@Suite struct RetryTests {
    static let throttled = #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#
    static let parameter = #"{"Parameter":{"Name":"/adjoin/settings","Type":"String","Value":"{}"}}"#

    /// Hands out a new key at each call (AKIDEXAMPLE1, AKIDEXAMPLE2, ...): an attempt's key says which call it signed with.
    final class CountingCredentials: AWSCredentialProvider {
        private var calls = 0
        func credentials(deadline: Deadline) throws(AdjoinError) -> AWSCredentials {
            calls += 1
            return AWSCredentials(
                accessKeyId: "AKIDEXAMPLE\(calls)", secretAccessKey: SecretBytes(Array("secret".utf8)), sessionToken: nil, source: "a test")
        }
        func invalidate() {}
    }

    func client(
        _ transport: FakeHTTPTransport, pauses: Locked<[Duration]>, jitter: @escaping @Sendable (Int64) -> Int64 = { $0 }
    )
        throws -> AWSServiceClient
    {
        let credentials = CountingCredentials()
        let client = try AWSServiceClient(
            service: .ssm, region: "eu-west-1",
            endpoint: try Endpoint(parsing: "http://127.0.0.1:9", source: "a test"),
            credentials: credentials, transport: transport)
        client.retry.jitter = jitter
        client.retry.sleep = { pause in pauses.withLock { $0.append(pause) } }
        return client
    }

    func getParameter(_ client: AWSServiceClient) throws(AWSCallError) -> JSON {
        try client.callJSON(
            "AmazonSSM.GetParameter", operation: "GetParameter", body: .object([("Name", .string("/adjoin/settings"))]),
            jsonVersion: "1.1", deadline: Deadline(seconds: 300))
    }

    @Test func throttlingAndServerErrorsAreRetriedWithGrowingPauses() throws {
        let transport = FakeHTTPTransport([
            .answer("POST", "/", status: 400, body: Self.throttled),
            .answer("POST", "/", status: 503),
            .noAnswer("POST", "/"),
            .answer("POST", "/", status: 200, body: Self.parameter),
        ])
        let pauses = Locked<[Duration]>([])
        let reply = try getParameter(try client(transport, pauses: pauses))
        transport.script.finish()
        #expect(reply["Parameter"]?["Value"]?.string == "{}")
        // Full jitter pinned to its ceiling, doubled after each attempt: base 6 s after throttling (a herd's
        // calls spread over the seconds the quota needs for them), 100 ms after a server failure or a dropped connection.
        #expect(pauses.withLock { $0 } == [.seconds(6), .milliseconds(200), .milliseconds(400)])
        // Each attempt signed afresh, with the credentials as they are at that attempt (the date alone cannot
        // tell: four attempts fit in one second of X-Amz-Date).
        #expect(
            transport.header("Authorization").map { $0.map { String($0.prefix(41)) } }
                == (1...4).map { "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\($0)/" })
    }

    @Test func theAttemptsStopAtTheMaximumAndThePausesStayUnderTheirCeiling() throws {
        let transport = FakeHTTPTransport(Array(repeating: .answer("POST", "/", status: 503), count: 4))
        let pauses = Locked<[Duration]>([])
        // A jitter that asks for more than allowed is held to the ceiling.
        let client = try client(transport, pauses: pauses, jitter: { $0 * 10 })
        client.retry.cap = .milliseconds(150)
        #expect(client.retry.maximumAttempts == 4)
        do {
            _ = try getParameter(client)
            Issue.record("four failed answers were taken for a reply")
        } catch {
            #expect(error.adjoinError.message.contains("503"), "\(error.adjoinError)")
        }
        transport.script.finish()
        #expect(pauses.withLock { $0 } == [.milliseconds(100), .milliseconds(150), .milliseconds(150)])
    }

    /// A quota frees room at its own pace: throttled tries are not counted against the maximum, only the deadline
    /// bounds them (a boot join's settings read has minutes for a fleet's turn).
    @Test func throttlingIsTriedForAsLongAsThePausesFitTheDeadline() throws {
        let transport = FakeHTTPTransport(
            Array(repeating: .answer("POST", "/", status: 400, body: Self.throttled), count: 6)
                + [.answer("POST", "/", status: 200, body: Self.parameter)])
        let pauses = Locked<[Duration]>([])
        let reply = try getParameter(try client(transport, pauses: pauses))
        transport.script.finish()
        #expect(reply["Parameter"]?["Value"]?.string == "{}")
        // Pinned to their ceilings: 6, 12, 24 s, then the 30 s cap; 126 s in all, within the 300 s deadline.
        #expect(pauses.withLock { $0 } == [.seconds(6), .seconds(12), .seconds(24), .seconds(30), .seconds(30), .seconds(30)])
    }

    @Test func throttlingPausesGrowFromSixSecondsToTheirCap() throws {
        let transport = FakeHTTPTransport(
            Array(repeating: .answer("POST", "/", status: 400, body: Self.throttled), count: 3)
                + [.answer("POST", "/", status: 200, body: Self.parameter)])
        let pauses = Locked<[Duration]>([])
        _ = try getParameter(try client(transport, pauses: pauses))
        transport.script.finish()
        #expect(pauses.withLock { $0 } == [.seconds(6), .seconds(12), .seconds(24)])
    }

    @Test func aRefusalIsNotRetried() throws {
        let transport = FakeHTTPTransport([
            .answer("POST", "/", status: 400, body: #"{"__type":"ParameterNotFound","message":"no such parameter"}"#)
        ])
        let pauses = Locked<[Duration]>([])
        #expect(throws: AWSCallError.self) { try getParameter(try client(transport, pauses: pauses)) }
        transport.script.finish()
        #expect(pauses.withLock { $0 }.isEmpty)
    }

    func metadata(_ transport: FakeHTTPTransport, pauses: Locked<[Duration]>) throws -> InstanceMetadata {
        let metadata = InstanceMetadata(endpoint: try Endpoint(parsing: "http://169.254.169.254", source: "a test"), transport: transport)
        metadata.sleep = { pause in pauses.withLock { $0.append(pause) } }
        return metadata
    }

    @Test func aMetadataTokenRefusedWithA401IsRenewedOnce() throws {
        let transport = FakeHTTPTransport([
            .answer("PUT", "/latest/api/token", status: 200, body: "token-1"),
            .answer("GET", "/latest/meta-data/local-hostname", status: 401),
            .answer("PUT", "/latest/api/token", status: 200, body: "token-2"),
            .answer("GET", "/latest/meta-data/local-hostname", status: 200, body: "ip-10-0-0-1.eu-west-1.compute.internal"),
            // The token stays in use for the next read.
            .answer("GET", "/latest/meta-data/local-ipv4", status: 200, body: "10.0.0.1"),
        ])
        let pauses = Locked<[Duration]>([])
        let metadata = try metadata(transport, pauses: pauses)
        #expect(try metadata.hostname(deadline: Deadline(seconds: 10)) == "ip-10-0-0-1.eu-west-1.compute.internal")
        #expect(try metadata.localIPv4(deadline: Deadline(seconds: 10)) == "10.0.0.1")
        transport.script.finish()
        #expect(transport.header("X-aws-ec2-metadata-token") == [nil, "token-1", nil, "token-2", "token-2"])
        #expect(transport.header("X-aws-ec2-metadata-token-ttl-seconds") == ["21600", nil, "21600", nil, nil])
        #expect(pauses.withLock { $0 }.isEmpty)
    }

    @Test func aSecond401IsAccessDeniedWithoutAThirdToken() throws {
        let transport = FakeHTTPTransport([
            .answer("PUT", "/latest/api/token", status: 200, body: "token-1"),
            .answer("GET", "/latest/meta-data/local-hostname", status: 401),
            .answer("PUT", "/latest/api/token", status: 200, body: "token-2"),
            .answer("GET", "/latest/meta-data/local-hostname", status: 401),
        ])
        let metadata = try metadata(transport, pauses: Locked([]))
        do {
            _ = try metadata.hostname(deadline: Deadline(seconds: 10))
            Issue.record("a token refused twice was taken for good")
        } catch {
            #expect(error.status == .accessDenied)
            #expect(error.message.contains("HTTP 401"), "\(error.message)")
        }
        transport.script.finish()
    }

    @Test func metadataServerErrorsAreRetriedAfterAPause() throws {
        let transport = FakeHTTPTransport([
            .answer("PUT", "/latest/api/token", status: 200, body: "token-1"),
            .answer("GET", "/latest/meta-data/local-ipv4", status: 500),
            .answer("GET", "/latest/meta-data/local-ipv4", status: 503),
            .answer("GET", "/latest/meta-data/local-ipv4", status: 200, body: "10.0.0.1"),
        ])
        let pauses = Locked<[Duration]>([])
        #expect(try metadata(transport, pauses: pauses).localIPv4(deadline: Deadline(seconds: 10)) == "10.0.0.1")
        transport.script.finish()
        #expect(pauses.withLock { $0 } == [.milliseconds(200), .milliseconds(400)])
    }
}
