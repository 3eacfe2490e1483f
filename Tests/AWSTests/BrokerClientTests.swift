import AdjoinCore
import Testing
import TestSupport
@testable import AWS

/// The instance's call to the broker against a scripted transport: one request per ask, however long the
/// broker takes, since a second request for an answer that is late would be refused (RATE_LIMITED) once the
/// first one has preset the account, and the first one's one-time password would be lost.
@Suite struct BrokerClientTests {
    final class Keys: AWSCredentialProvider {
        func credentials(deadline: Deadline) throws(AdjoinError) -> AWSCredentials {
            AWSCredentials(
                accessKeyId: "ASIAEXAMPLE", secretAccessKey: SecretBytes(Array("secret".utf8)),
                sessionToken: SecretBytes(Array("token".utf8)), source: "a test")
        }
        func invalidate() {}
    }

    func client(_ transport: FakeHTTPTransport) throws -> BrokerClient {
        var environment = AWSEnvironment(variables: [:])
        environment.makeTransport = { transport }
        let client = try BrokerClient(url: "http://127.0.0.1:9", region: "us-east-1", credentials: Keys(), environment: environment)
        client.retry.sleep = { _ in }
        return client
    }

    @Test func theAnswerIsAwaitedForTheWholeAttemptAndAskedForOnce() throws {
        let transport = FakeHTTPTransport([.answer("POST", "/join", status: 200, body: #"{"status":"PRESET"}"#)])
        let (status, _) = try client(transport).join(hints: .object([]), deadline: Deadline(seconds: 75))
        #expect(status == 200)
        // Not a shorter per-request limit after which the same POST would go out again.
        #expect(transport.attemptTimeouts.count == 1 && transport.attemptTimeouts[0] > .seconds(70), "\(transport.attemptTimeouts)")
        transport.script.finish()
    }

    @Test func aConnectionThatFailsIsTriedAgain() throws {
        let transport = FakeHTTPTransport([
            .noAnswer("POST", "/join"), .answer("POST", "/join", status: 429, body: #"{"status":"RATE_LIMITED"}"#),
        ])
        let (status, _) = try client(transport).join(hints: .object([]), deadline: Deadline(seconds: 30))
        #expect(status == 429)
        transport.script.finish()
    }
}
