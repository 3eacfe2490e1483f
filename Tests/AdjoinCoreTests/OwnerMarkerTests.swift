import AdjoinCore
import Testing

/// The owner marker in `info`: the instance id, then (since sweep) its AWS account and Region.
@Suite struct OwnerMarkerTests {
    @Test func anInstanceMarkerCarriesItsAccountAndRegion() throws {
        let owner = AccountOwner.instance("i-0123456789abcdef0", accountId: "123456789012", region: "eu-west-1")
        #expect(owner.recorded == "adjoin-owner: i-0123456789abcdef0 account=123456789012 region=eu-west-1")
        let parsed = try #require(AccountOwner.parse(recorded: [owner.recorded]))
        #expect(parsed.value == "i-0123456789abcdef0")
        #expect(parsed.location == OwnerLocation(accountId: "123456789012", region: "eu-west-1"))
    }

    @Test func markersWrittenBeforeTheLocationStillNameTheSameOwner() throws {
        let old = try #require(AccountOwner.parse(recorded: ["adjoin-owner: i-0123456789abcdef0"]))
        #expect(old.value == "i-0123456789abcdef0")
        #expect(old.location == nil)
        // Ownership is the id alone: a rejoin that records the location is still the same owner.
        #expect(old == AccountOwner.instance("i-0123456789abcdef0", accountId: "123456789012", region: "eu-west-1"))
        #expect(old != AccountOwner.instance("i-0fffffffffffffff0", accountId: "123456789012", region: "eu-west-1"))
        #expect(AccountOwner.parse(recorded: ["adjoin-owner: machine:0123456789abcdef"])?.value == "machine:0123456789abcdef")
        #expect(AccountOwner.parse(recorded: ["someone's note"]) == nil)
    }

    @Test func aLocationThatIsNotOneIsIgnoredAndUnknownWordsAreSkipped() throws {
        for text in [
            "account=12345 region=eu-west-1", "account=123456789012 region=EU-WEST-1", "account=123456789012",
            "region=eu-west-1", "account=12345678901x region=eu-west-1", "account=123456789012 region=eu-west-",
        ] {
            let parsed = try #require(AccountOwner.parse(recorded: ["adjoin-owner: i-0123456789abcdef0 " + text]))
            #expect(parsed.value == "i-0123456789abcdef0")
            #expect(parsed.location == nil, "\(text)")
        }
        let later = try #require(AccountOwner.parse(recorded: ["adjoin-owner: i-0abc zone=x region=us-gov-west-1 account=210987654321"]))
        #expect(later.location == OwnerLocation(accountId: "210987654321", region: "us-gov-west-1"))
        // The identity document's values are checked before they are recorded.
        #expect(AccountOwner.instance("i-0abc", accountId: "not-an-account", region: "us-east-1").recorded == "adjoin-owner: i-0abc")
    }
}
