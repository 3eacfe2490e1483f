import Foundation
import Testing
import TestSupport

/// The boot unit's join (`--retry-for`) on an instance whose settings read meets SSM's throttling: the read
/// waits the quota out on its own clock, and the attempt then has its whole budget for the DC; the metadata
/// session token serves every attempt.
extension InstanceJoinIntegrationTests {
    @Test func theBootJoinWaitsOutThrottlingBeforeItsAttemptsBudgetBegins() throws {
        let instance = try EC2Instance(hostname: Self.hostname(), tags: [:], tagsExposed: true)
        let name = instance.hostname.uppercased()
        defer { try? admin.delete(name + "$") }
        let parameter = try settings()
        // Throttled pauses are drawn up to 6 s, 12 s and 24 s: three of them take 21 s on average, and less than
        // the attempt's 4 s once in a few hundred runs. Were the read within the attempt's budget, that attempt
        // would end TIMEOUT (or its join would have what the read left of 4 s) and a second would follow.
        try instance.failNext("AmazonSSM.GetParameter", Array(repeating: (400, "ThrottlingException"), count: 3))
        let root = ScratchRoot("adjoin-root")
        defer { root.remove() }
        let (result, json) = try agent(
            instance,
            [
                "join", "--unless-joined", "--retry-for", "2m", "--timeout", "4", "--parameter", parameter,
                "--no-configure", "--root", root.path, "--output", "json",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(json["status"] as? String == "JOINED")
        #expect(json["attempts"] as? Int == 1, "\(result.stderr)")
        #expect(!result.stderr.contains("attempt 1 failed"), "\(result.stderr)")
        // The wait says a fleet is booting: the attempt has three times the wait more for the DC's queue (all but
        // certainly more than a second: three pauses drawn up to 6, 12 and 24 s).
        #expect(result.stderr.contains("(a fleet booting at once shares SSM's quota): this attempt has"), "\(result.stderr)")
        let item = try #require(try aws.statusItem(table: table, instanceId: instance.instanceId))
        #expect(item["status"] == "JOINED")
        #expect(item["attempt"] == "1")
        let getParameter = try instance.verdicts().filter { $0.operation.hasSuffix("GetParameter") }
        #expect(getParameter.count == 4, "3 throttled, then one that went through: \(getParameter)")
        #expect(try instance.metadataRequests().filter { $0.hasPrefix("PUT /latest/api/token") }.count == 1)
    }

    /// The first attempt's LDAP bind gets no answer (a fake DC in front of the lab DC stalls it) after the
    /// Kerberos login has taken the password and wiped it: the next attempt joins with the copy the join
    /// kept, without reading the parameter again (one GetParameter for the whole join, not one per attempt).
    @Test func aRetryAfterTheLoginJoinsWithTheKeptPassword() throws {
        let instance = try EC2Instance(hostname: Self.hostname(), tags: [:], tagsExposed: true)
        defer { try? admin.delete(instance.hostname.uppercased() + "$") }
        let relay = try StallingDCRelay(in: lab, stallAt: .message(0))
        defer { relay.close() }
        let parameter = try settings(["domainControllers": [relay.address]])
        let root = ScratchRoot("adjoin-root")
        defer { root.remove() }
        let (result, json) = try agent(
            instance,
            [
                "join", "--retry-for", "2m", "--timeout", "12", "--parameter", parameter,
                "--no-configure", "--root", root.path, "--output", "json",
            ])
        #expect(relay.hasStalled)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(json["status"] as? String == "JOINED")
        #expect(json["attempts"] as? Int == 2)
        #expect(result.stderr.contains("attempt 1 failed: TIMEOUT"), "\(result.stderr)")
        #expect(try instance.verdicts().filter { $0.operation.hasSuffix("GetParameter") }.count == 1, "one GetParameter for both attempts")
        let metadata = try instance.metadataRequests()
        #expect(metadata.filter { $0.hasPrefix("PUT /latest/api/token") }.count == 1, "one session token for both attempts")
        #expect(
            metadata.filter { $0.hasPrefix("GET /latest/meta-data/iam/security-credentials/adjoin-test-role ") }.count == 1,
            "the role's credentials fetched once for both attempts: \(metadata)")
    }

    @Test func theBootJoinStopsAtOnceOnAPermanentFailure() throws {
        let instance = try EC2Instance(hostname: Self.hostname(), tags: [:], tagsExposed: true)
        let name = instance.hostname.uppercased()
        defer { try? admin.delete(name + "$") }
        let parameter = try settings(["joinPassword": "not-the-password"])
        let started = Date()
        let root = ScratchRoot("adjoin-root")
        defer { root.remove() }
        let (result, json) = try agent(
            instance,
            [
                "join", "--retry-for", "2m", "--parameter", parameter, "--no-configure",
                "--root", root.path, "--output", "json",
            ])
        #expect(result.status == 10, "\(result.stderr)")
        #expect(json["status"] as? String == "ACCESS_DENIED")
        #expect(!result.stderr.contains("attempt 1 failed"), "a wrong password was tried again")
        #expect(Date().timeIntervalSince(started) < 60, "it waited for the retry budget")
        #expect(try aws.statusItem(table: table, instanceId: instance.instanceId)?["status"] == "ACCESS_DENIED")
    }
}
