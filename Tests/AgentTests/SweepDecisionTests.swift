import Agent
import Membership
import Testing

/// What sweep decides for one account, from EC2's answer and the account's last use.
@Suite struct SweepDecisionTests {
    let now: Int64 = 1_800_000_000
    let day: Int64 = 86_400

    func account(_ id: String = "i-0123456789abcdef0", lastUsed: Int64?) -> InstanceAccount {
        InstanceAccount(
            dn: "CN=WEB1,OU=Linux Servers,DC=corp,DC=example,DC=com", computerName: "WEB1",
            owner: .instance(id, accountId: "123456789012", region: "eu-west-1"), lastUsed: lastUsed)
    }

    func decide(_ states: [String: String]?, lastUsed: Int64? = nil, grace: Int64 = 86_400) -> SweepDecision {
        SweepDecision.decide(
            account(lastUsed: lastUsed), states: states, unreachable: states == nil ? "AccessDenied" : nil,
            now: now, graceSeconds: grace)
    }

    @Test func onlyATerminatedInstanceOrOneLongUnknownIsDeleted() {
        let terminated = decide(["i-0123456789abcdef0": "terminated"], lastUsed: now)
        #expect(terminated.action == .delete)
        #expect(terminated.state == "terminated")
        #expect(terminated.reason.contains("terminated"))
        // Gone from EC2 and unused for longer than the grace: deleted; within it: kept.
        #expect(decide([:], lastUsed: now - 2 * day).action == .delete)
        #expect(decide([:], lastUsed: now - 2 * day).state == "unknown")
        #expect(decide([:], lastUsed: now - 2 * day, grace: 3 * day).action == .keep)
        #expect(decide([:], lastUsed: now - 60).action == .keep)
        #expect(decide([:], lastUsed: now, grace: 0).action == .delete, "grace 0: an unknown instance goes at once")
        // Another instance's state says nothing about this one.
        #expect(decide(["i-0fffffffffffffff0": "terminated"], lastUsed: now).action == .keep)
    }

    @Test func anInstanceThatStillExistsKeepsItsAccountHoweverOld() {
        for state in ["pending", "running", "stopping", "stopped", "shutting-down", "some-future-state"] {
            let decision = decide(["i-0123456789abcdef0": state], lastUsed: now - 400 * day, grace: 0)
            #expect(decision.action == .keep, "\(state)")
            #expect(decision.state == state)
        }
    }

    @Test func withoutALastUseOrAnAnswerNothingIsDeleted() {
        #expect(decide([:], lastUsed: nil, grace: 0).action == .keep)
        let unasked = decide(nil, lastUsed: now - 400 * day, grace: 0)
        #expect(unasked.action == .notSwept)
        #expect(unasked.state == nil)
        #expect(unasked.reason == "AccessDenied")
    }

    @Test func graceDurationsAndRoleARNs() {
        #expect(SweepDecision.parseDuration("24h") == 86_400)
        #expect(SweepDecision.parseDuration("7d") == 604_800)
        #expect(SweepDecision.parseDuration("90m") == 5400)
        #expect(SweepDecision.parseDuration("0s") == 0)
        #expect(SweepDecision.parseDuration("3600") == 3600)
        for bad in ["", "h", "-1h", "1.5h", "1w", "24 h", "9999999999d"] {
            #expect(SweepDecision.parseDuration(bad) == nil, "\(bad)")
        }
        #expect(
            Sweep.roleARN(account: "111122223333", roleName: "adjoin-sweep", region: "eu-west-1")
                == "arn:aws:iam::111122223333:role/adjoin-sweep")
        #expect(
            Sweep.roleARN(account: "111122223333", roleName: "ops/adjoin-sweep", region: "cn-north-1")
                == "arn:aws-cn:iam::111122223333:role/ops/adjoin-sweep")
        #expect(Sweep.roleARN(account: "111122223333", roleName: "adjoin-sweep", region: "us-gov-west-1").hasPrefix("arn:aws-us-gov:"))
    }
}
