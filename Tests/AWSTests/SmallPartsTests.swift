import AdjoinCore
import Testing
@testable import AWS

@Suite struct SmallPartsTests {
    @Test func utcTimeFormatsAndParses() throws {
        let time = UTCTime(seconds: 1_706_662_923, milliseconds: 7)
        #expect(time.amzDate == "20240131T010203Z")
        #expect(time.dateStamp == "20240131")
        #expect(time.iso8601 == "2024-01-31T01:02:03.007Z")
        #expect(UTCTime.parse("2024-01-31T01:02:03Z")?.seconds == 1_706_662_923)
        #expect(UTCTime.parse("2024-01-31T01:02:03.123Z")?.seconds == 1_706_662_923)
        for bad in ["", "2024-13-01T00:00:00Z", "2024-01-31 01:02:03Z", "2024-01-31T01:02:03", "2024-01-31T01:02:03.x2Z"] {
            #expect(UTCTime.parse(bad) == nil)
        }
    }

    @Test func stsSessionNamesAreMadeValid() {
        #expect(STSClient.sessionName("adjoin-i-0123456789abcdef0") == "adjoin-i-0123456789abcdef0")
        #expect(STSClient.sessionName("a b/c") == "a-b-c")
        #expect(STSClient.sessionName("x") == "x-")
        #expect(STSClient.sessionName(String(repeating: "a", count: 80)).count == 64)
    }

    @Test func pathSegmentsKeepWhatMetadataTagKeysMayHold() {
        #expect(URIEncoding.encodePathSegment("team+role=a,b:c@d") == "team+role=a,b:c@d")
        #expect(URIEncoding.encodePathSegment("a b/é") == "a%20b%2F%C3%A9")
        #expect(URIEncoding.encode("a+b =~") == "a%2Bb%20%3D~")
    }
}
