import AdjoinCore
import Foundation
import Testing
@testable import AWS

/// Throttling, 5xx and expired credentials, made to happen by the checking proxy in front of moto.
@Suite(.needsLab) struct RetryIntegrationTests {
    let lab: AWSLab
    init() throws { lab = try AWSLab.current() }

    func statusTable(_ table: String, token: String, credentials: AWSCredentialProvider? = nil) throws -> StatusTable {
        let environment = lab.environment(sessionToken: token)
        return try StatusTable(
            table: table, region: "us-east-1",
            credentials: credentials ?? AWSCredentialChain(environment: environment, metadata: nil),
            environment: environment)
    }

    func record(_ instanceId: String) -> StatusRecord {
        StatusRecord(instanceId: instanceId, status: .joined, runStartedAtMilliseconds: StatusRecord.now())
    }

    @Test func throttlingAndServerErrorsAreRetried() throws {
        let table = try lab.makeTable()
        let token = AWSLab.newSessionToken()
        try lab.failNext(
            sessionToken: token, operation: "DynamoDB_20120810.PutItem",
            [
                .init(status: 400, code: "ThrottlingException"), .init(status: 500, code: "InternalServerError"),
                .init(status: 400, code: "ProvisionedThroughputExceededException"),
            ])
        let client = try statusTable(table, token: token)
        // Which answers are retried is this test's matter; the pauses' sizes are RetryTests'. The SDKs'
        // 1 s throttling base keeps the two throttled pauses (up to 1 s and 4 s) inside the 20 s.
        client.dynamoDB.client.retry.throttlingBase = .seconds(1)
        #expect(try client.record(record("i-retry"), deadline: Deadline(seconds: 20)) == .written)
        let verdicts = try lab.verdicts(sessionToken: token)
        #expect(verdicts.map(\.operation) == Array(repeating: "DynamoDB_20120810.PutItem", count: 4))
        #expect(verdicts.allSatisfy { $0.verdict == "verified" })
        #expect(verdicts.map(\.upstreamStatus) == [400, 500, 400, 200])
    }

    @Test func retriesStopAfterFourAttempts() throws {
        let table = try lab.makeTable()
        let token = AWSLab.newSessionToken()
        try lab.failNext(
            sessionToken: token, operation: "DynamoDB_20120810.PutItem",
            Array(repeating: .init(status: 503, code: "ServiceUnavailable"), count: 6))
        let error = #expect(throws: AdjoinError.self) {
            try statusTable(table, token: token).record(record("i-gives-up"), deadline: Deadline(seconds: 20))
        }
        #expect(error?.message.contains("ServiceUnavailable") == true)
        #expect(error?.message.contains(table) == true)
        #expect(try lab.verdicts(sessionToken: token).count == 4)
    }

    /// Backoff never outlasts the deadline: with too little time left for the next pause the call
    /// ends instead of sleeping. Pauses are pinned to their ceilings (1, 2 and 4 s), so within 2.5 s
    /// a second pause can never fit, however slow the machine; a client that ignored the deadline
    /// would sleep anyway and end on the HTTP layer's own timeout instead.
    @Test func retriesEndWithTheDeadline() throws {
        let table = try lab.makeTable()
        let token = AWSLab.newSessionToken()
        let client = try statusTable(table, token: token)
        client.dynamoDB.client.retry.jitter = { $0 }
        client.dynamoDB.client.retry.base = .seconds(1)
        client.dynamoDB.client.retry.throttlingBase = .seconds(1)
        try lab.failNext(
            sessionToken: token, operation: "DynamoDB_20120810.PutItem",
            Array(repeating: .init(status: 400, code: "ThrottlingException"), count: 10))
        let error = #expect(throws: AdjoinError.self) { try client.record(record("i-deadline"), deadline: Deadline(seconds: 2.5)) }
        #expect(error?.status == .timeout)
        #expect(error?.message.contains("leaves no room for another") == true, "\(error?.message ?? "")")
        #expect(try lab.verdicts(sessionToken: token).count <= 2)
    }

    /// An ExpiredToken reply makes the client drop its credentials and sign again with fresh ones, once.
    @Test func expiredCredentialsAreRefreshedOnce() throws {
        let table = try lab.makeTable()
        let token = AWSLab.newSessionToken()
        let provider = CountingCredentials(lab.environment(sessionToken: token))
        try lab.failNext(sessionToken: token, operation: "DynamoDB_20120810.PutItem", [.init(status: 400, code: "ExpiredTokenException")])
        #expect(
            try statusTable(table, token: token, credentials: provider).record(record("i-expired"), deadline: Deadline(seconds: 10))
                == .written)
        #expect(provider.invalidations == 1)
        #expect(provider.fetches == 2)

        try lab.failNext(
            sessionToken: token, operation: "DynamoDB_20120810.PutItem",
            [.init(status: 400, code: "ExpiredTokenException"), .init(status: 400, code: "ExpiredTokenException")])
        let error = #expect(throws: AdjoinError.self) {
            try statusTable(table, token: token, credentials: provider).record(record("i-expired-twice"), deadline: Deadline(seconds: 10))
        }
        #expect(error?.status == .accessDenied)
        #expect(provider.invalidations == 2)
    }
}

/// The environment's credentials, counting how often the client asks for them and drops them.
final class CountingCredentials: AWSCredentialProvider {
    private let environment: AWSEnvironment
    private(set) var fetches = 0
    private(set) var invalidations = 0
    init(_ environment: AWSEnvironment) { self.environment = environment }

    func credentials(deadline: Deadline) throws(AdjoinError) -> AWSCredentials {
        fetches += 1
        guard let credentials = try environment.credentials() else { throw AdjoinError(.accessDenied, "no keys in the test's environment") }
        return credentials
    }

    func invalidate() { invalidations += 1 }
}
