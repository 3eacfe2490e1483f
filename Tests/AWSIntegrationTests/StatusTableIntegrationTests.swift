import AdjoinCore
import Foundation
import TestSupport
import Testing
@testable import AWS

/// The status table in moto's DynamoDB behind the checking proxy, written through an assumed role in
/// a central account, as the multi-account design does.
@Suite(.needsLab) struct StatusTableIntegrationTests {
    let lab: AWSLab
    init() throws { lab = try AWSLab.current() }

    static let centralRole = "arn:aws:iam::111122223333:role/adjoin-status-writer"

    /// A table of its own in the central account (moto keeps one backend per account: the assumed
    /// role's credentials reach it, the instance's own do not).
    func makeCentralTable(region: String) throws -> String {
        let table = "adjoin-status-\(UUID().uuidString.prefix(8).lowercased())"
        try AWSFixtures.call("create_status_table", ["name": table, "region": region, "role": StatusTableIntegrationTests.centralRole])
        return table
    }

    /// The item as the central account sees it, read with boto3 (independently of the agent).
    func centralItem(table: String, region: String, instanceId: String) throws -> [String: String] {
        let item = try AWSFixtures.call(
            "status_item",
            [
                "table": table, "instance_id": instanceId, "region": region,
                "role": StatusTableIntegrationTests.centralRole,
            ])
        return item as? [String: String] ?? [:]
    }

    @Test func joiningThenJoinedThroughAnAssumedRoleInAnotherRegion() throws {
        let region = "eu-west-1"
        let table = try makeCentralTable(region: region)
        let token = AWSLab.newSessionToken()
        let environment = lab.environment(sessionToken: token, region: "us-east-1")
        let status = try StatusTable(
            table: table, region: region, roleArn: StatusTableIntegrationTests.centralRole,
            sessionName: "adjoin-i-0123456789abcdef0",
            credentials: AWSCredentialChain(environment: environment, metadata: nil), environment: environment)
        let started = StatusRecord.now()
        var record = StatusRecord(
            instanceId: "i-0123456789abcdef0", status: .joining, domain: "corp.example.com",
            accountId: "123456789012", region: "us-east-1", runStartedAtMilliseconds: started)
        #expect(try status.record(record, deadline: Deadline(seconds: 10)) == .written)
        var item = try centralItem(table: table, region: region, instanceId: "i-0123456789abcdef0")
        #expect(item["status"] == "JOINING")

        record.status = .joined
        record.computerName = "IP-10-0-0-12"
        record.computerDN = "CN=IP-10-0-0-12,OU=Linux Servers,DC=corp,DC=example,DC=com"
        record.domainController = "dc1.corp.example.com"
        record.durationMs = 412
        record.message = "joined corp.example.com as IP-10-0-0-12"
        #expect(try status.record(record, deadline: Deadline(seconds: 10)) == .written)
        item = try centralItem(table: table, region: region, instanceId: "i-0123456789abcdef0")
        #expect(item["status"] == "JOINED")
        #expect(item["domain"] == "corp.example.com")
        #expect(item["computerName"] == "IP-10-0-0-12")
        #expect(item["computerDN"] == "CN=IP-10-0-0-12,OU=Linux Servers,DC=corp,DC=example,DC=com")
        #expect(item["domainController"] == "dc1.corp.example.com")
        #expect(item["accountId"] == "123456789012")
        #expect(item["region"] == "us-east-1")
        #expect(item["agentVersion"] == AdjoinVersion.current)
        #expect(item["durationMs"] == "412")
        #expect(item["message"] == "joined corp.example.com as IP-10-0-0-12")
        #expect(item["sequence"] == String(started * 10 + 1))
        let updatedAt = try #require(item["updatedAt"])
        #expect(updatedAt.count == 24 && updatedAt.hasSuffix("Z") && updatedAt.contains("T"))

        // The agent's own read (through the assumed role) sees the same item.
        let read = try #require(try status.item(instanceId: "i-0123456789abcdef0", deadline: Deadline(seconds: 10)))
        #expect(read["status"]?["S"]?.string == "JOINED")

        // STS once, then DynamoDB in the assumed identity (another access key id), every request verified.
        let mine = try lab.verdicts(sessionToken: token)
        #expect(mine.map(\.operation) == ["AssumeRole"])
        // The key STS issued to this test's AssumeRole (the last PutItem in the Region may be another test's).
        let assumedKey = try #require(mine.first?.issuedAccessKeyIds?.first)
        #expect(assumedKey != lab.accessKeyId)
        let assumed = try lab.verdicts { $0.accessKeyId == assumedKey }
        #expect(assumed.map(\.operation) == ["DynamoDB_20120810.PutItem", "DynamoDB_20120810.PutItem", "DynamoDB_20120810.GetItem"])
        #expect(assumed.allSatisfy { $0.verdict == "verified" && $0.region == region })
    }

    /// An older run's write arriving late, and a repeat of a run's outcome, leave the newer state.
    @Test func aStaleWriterIsSuperseded() throws {
        let region = "us-east-1"
        let table = try makeCentralTable(region: region)
        let token = AWSLab.newSessionToken()
        let environment = lab.environment(sessionToken: token)
        let status = try StatusTable(
            table: table, region: region, roleArn: StatusTableIntegrationTests.centralRole,
            credentials: AWSCredentialChain(environment: environment, metadata: nil), environment: environment)
        let newer = StatusRecord.now()
        let older = newer - 60_000
        #expect(
            try status.record(
                StatusRecord(instanceId: "i-1", status: .joining, runStartedAtMilliseconds: newer),
                deadline: Deadline(seconds: 10)) == .written)
        #expect(
            try status.record(
                StatusRecord(instanceId: "i-1", status: .joined, message: "new run", runStartedAtMilliseconds: newer),
                deadline: Deadline(seconds: 10)) == .written)
        // the older run's outcome, late
        #expect(
            try status.record(
                StatusRecord(instanceId: "i-1", status: .networkError, message: "old run", runStartedAtMilliseconds: older),
                deadline: Deadline(seconds: 10)) == .superseded)
        // the newer run's JOINING, delivered after its outcome
        #expect(
            try status.record(
                StatusRecord(instanceId: "i-1", status: .joining, runStartedAtMilliseconds: newer),
                deadline: Deadline(seconds: 10)) == .superseded)
        let item = try centralItem(table: table, region: region, instanceId: "i-1")
        #expect(item["status"] == "JOINED")
        #expect(item["message"] == "new run")
        // a later run wins again
        #expect(
            try status.record(
                StatusRecord(instanceId: "i-1", status: .detached, runStartedAtMilliseconds: newer + 1),
                deadline: Deadline(seconds: 10)) == .written)
        #expect(try centralItem(table: table, region: region, instanceId: "i-1")["status"] == "DETACHED")
    }

    /// Without the role, the instance's own account has no such table: a clear error, not a crash,
    /// and the caller decides (a good join stays good).
    @Test func aTableThatIsNotThereIsReported() throws {
        let table = try makeCentralTable(region: "us-east-1")
        let environment = lab.environment(sessionToken: AWSLab.newSessionToken())
        let status = try StatusTable(
            table: table, region: "us-east-1",
            credentials: AWSCredentialChain(environment: environment, metadata: nil), environment: environment)
        let error = #expect(throws: AdjoinError.self) {
            try status.record(
                StatusRecord(instanceId: "i-2", status: .joined, runStartedAtMilliseconds: StatusRecord.now()),
                deadline: Deadline(seconds: 10))
        }
        #expect(error?.message.contains(table) == true)
        #expect(error?.message.contains("does not exist") == true)
    }
}
