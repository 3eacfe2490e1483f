import AdjoinCore
import Agent
import Testing

@Suite struct InstanceTagsTests {
    @Test func onlyTheWordFalseOptsOut() {
        for value in ["false", "FALSE", "False", " false "] {
            #expect(InstanceTags(["autoadjoin": value], source: "test").optedOut(tag: "autoadjoin"))
        }
        for value in ["true", "no", "0", "", "falsey"] {
            #expect(!InstanceTags(["autoadjoin": value], source: "test").optedOut(tag: "autoadjoin"))
        }
        #expect(!InstanceTags([:], source: "test").optedOut(tag: "autoadjoin"))
        // Tag keys are case-sensitive in EC2, and the settings may rename the tag.
        #expect(!InstanceTags(["AutoADJoin": "false"], source: "test").optedOut(tag: "autoadjoin"))
        #expect(InstanceTags(["join": "false"], source: "test").optedOut(tag: "join"))
    }

    @Test func theGroupTagIsCheckedLikeTheFlag() throws {
        #expect(try InstanceTags(["adGroupName": "linux-admins"], source: "test").group(tag: "adGroupName")?.value == "linux-admins")
        #expect(try InstanceTags(["adGroupName": "  "], source: "test").group(tag: "adGroupName") == nil)
        #expect(try InstanceTags([:], source: "test").group(tag: "adGroupName") == nil)
        do throws(AdjoinError) {
            _ = try InstanceTags(["adGroupName": "a,b"], source: "instance metadata").group(tag: "adGroupName")
            Issue.record("accepted a group name with a comma")
        } catch {
            #expect(error.status == .invalidInput)
            #expect(error.message.hasPrefix("tag adGroupName (from instance metadata): group name"))
        }
    }
}
