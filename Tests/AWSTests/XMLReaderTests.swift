import AdjoinCore
import Testing
@testable import AWS

@Suite struct XMLReaderTests {
    /// A DescribeTags reply as EC2 sends it (namespace, declaration, entities).
    static let describeTags = """
        <?xml version="1.0" encoding="UTF-8"?>
        <DescribeTagsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
            <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>
            <tagSet>
                <item><resourceId>i-1</resourceId><resourceType>instance</resourceType><key>Name</key><value>a &amp; b &lt;c&gt; &#233;&#x263A;</value></item>
                <item><resourceId>i-1</resourceId><resourceType>instance</resourceType><key>empty</key><value/></item>
                <!-- a comment -->
                <item><resourceId>i-1</resourceId><resourceType>instance</resourceType><key>cdata</key><value><![CDATA[x<y>]]></value></item>
            </tagSet>
            <nextToken>abc/def==</nextToken>
        </DescribeTagsResponse>
        """

    @Test func readsADescribeTagsReply() throws {
        let root = try XMLElement.parse(Array(XMLReaderTests.describeTags.utf8))
        #expect(root.name == "DescribeTagsResponse")
        let items = try #require(root.child("tagSet")).children("item")
        #expect(items.map { $0.child("key")?.text } == ["Name", "empty", "cdata"])
        #expect(items.map { $0.child("value")?.text } == ["a & b <c> é☺", "", "x<y>"])
        #expect(root.child("nextToken")?.text == "abc/def==")
    }

    @Test func namespacePrefixesAndAttributesAreReadPast() throws {
        let root = try XMLElement.parse(
            Array(#"<s:Envelope xmlns:s="urn:x" a='1>2'><s:Body><Code>Throttling</Code></s:Body></s:Envelope>"#.utf8))
        #expect(root.name == "Envelope")
        #expect(root.descendant("Code")?.text == "Throttling")
        #expect(root.text(at: ["Body", "Code"]) == "Throttling")
    }

    @Test func secretElementsBecomeSecretBytes() throws {
        let reply = """
            <AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA1</AccessKeyId>
            <SecretAccessKey>s3cr&amp;t</SecretAccessKey><SessionToken>tok</SessionToken></Credentials></AssumeRoleResult></AssumeRoleResponse>
            """
        let root = try XMLElement.parse(Array(reply.utf8), secretNames: ["SecretAccessKey", "SessionToken"])
        let credentials = try #require(root.child("AssumeRoleResult")?.child("Credentials"))
        #expect(credentials.child("AccessKeyId")?.text == "ASIA1")
        #expect(credentials.child("SecretAccessKey")?.text == "")
        #expect(credentials.child("SecretAccessKey")?.secret?.withUnsafeBytes { Array($0) } == Array("s3cr&t".utf8))
        #expect(credentials.child("SessionToken")?.secret?.withUnsafeBytes { Array($0) } == Array("tok".utf8))
    }

    /// Replies are untrusted: every prefix of a real reply, and mismatched or endless markup, is an
    /// error and never a crash.
    @Test func truncatedAndMalformedRepliesAreErrors() {
        let bytes = Array(XMLReaderTests.describeTags.utf8)
        for length in stride(from: 0, to: bytes.count - 1, by: 7) {
            #expect(throws: XMLElement.ParseError.self) { try XMLElement.parse(Array(bytes[0..<length])) }
        }
        for text in [
            "<a><b></a></b>", "<a>&bogus;</a>", "<a>&#xFFFFFFFF;</a>", "<a", "<!-- never closed", "text only", "<a></a",
            String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100),
        ] {
            #expect(throws: XMLElement.ParseError.self) { try XMLElement.parse(Array(text.utf8)) }
        }
    }
}
