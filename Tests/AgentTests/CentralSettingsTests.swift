import AdjoinCore
import Foundation
@testable import Agent
import Testing
import TestSupport

@Suite struct CentralSettingsTests {
    private let source = "the central settings table adjoin-settings in eu-west-1, item 111122223333"

    /// As the agent reads the item: every "S" value as SecretBytes.
    private func item(_ text: String) throws -> JSON { try JSON.parse(Array(text.utf8), secretKeys: ["S"]) }

    private func settings(_ text: String, region: String = "us-east-1") throws -> AgentSettings {
        let members = try CentralSettingsItem.members(try item(text), accountId: "111122223333", region: region, source: source)
        return try SettingsDocument.parse(members: members, source: source)
    }

    private func refusal(_ text: String) -> String? {
        do {
            _ = try settings(text)
            return nil
        } catch let error as AdjoinError {
            #expect(error.status == .invalidInput)
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func theBlogsItemIsReadAsItIs() throws {
        let read = try settings(
            """
            {"accountId": {"S": "111122223333"}, "dnsName": {"S": "corp.example.com"}, "dnsIP1": {"S": "10.0.0.10"},
             "dnsIP2": {"S": "10.0.1.10"}, "adJoinUserName": {"S": "adjoiner"}, "adJoinUserPwParam": {"S": "/adjoin/password"}}
            """)
        #expect(read.domain?.value == "corp.example.com")
        #expect(read.domainControllers.map(\.host) == ["10.0.0.10", "10.0.1.10"])
        #expect(read.joinUser == "adjoiner")
        guard case .parameter(let name) = read.password else { Issue.record("no password parameter"); return }
        #expect(name == "/adjoin/password")
    }

    @Test func theRegionsOverrideReplacesWholeSettingsForThisRegionOnly() throws {
        let text = """
            {"accountId": {"S": "111122223333"}, "domain": {"S": "corp.example.com"}, "dnsIP1": {"S": "10.0.0.10"}, "dnsIP2": {"S": "10.0.1.10"},
             "allowedGroups": {"SS": ["a", "b"]}, "joinPasswordSecret": {"S": "adjoin/join"},
             "regions": {"M": {"eu-west-1": {"M": {"domainControllers": {"L": [{"S": "10.9.0.10"}]}, "organizationalUnit": {"S": "OU=EU,DC=corp,DC=example,DC=com"}}}}}}
            """
        let europe = try settings(text, region: "eu-west-1")
        #expect(europe.domainControllers.map(\.host) == ["10.9.0.10"], "dnsIP1 and dnsIP2 are replaced by the override's list")
        #expect(europe.organizationalUnit == "OU=EU,DC=corp,DC=example,DC=com")
        #expect(europe.login.allowedGroups.map(\.value) == ["a", "b"])
        let virginia = try settings(text, region: "us-east-1")
        #expect(virginia.domainControllers.map(\.host) == ["10.0.0.10", "10.0.1.10"])
        #expect(virginia.organizationalUnit == nil)
        guard case .secretsManager(let id) = virginia.password else { Issue.record("no secret"); return }
        #expect(id == "adjoin/join")
    }

    @Test func whatDoesNotBelongInTheTableIsRefused() {
        let base = #""accountId": {"S": "111122223333"}, "domain": {"S": "corp.example.com"}"#
        #expect(refusal("{\(base), \"joinPassword\": {\"S\": \"hunter2\"}}")?.contains("does not belong in the central table") == true)
        #expect(
            refusal("{\(base), \"regions\": {\"M\": {\"us-east-1\": {\"M\": {\"joinPassword\": {\"S\": \"x\"}}}}}}")?.contains(
                "joinPassword") == true)
        #expect(refusal("{\(base), \"settingsTable\": {\"S\": \"other\"}}")?.contains("points to a settings table") == true)
        #expect(refusal("{\(base), \"domainControler\": {\"S\": \"x\"}}")?.contains("did you mean") == true)
        #expect(
            refusal(#"{"accountId": {"S": "999999999999"}, "domain": {"S": "corp.example.com"}}"#)?.contains("is not 111122223333") == true)
        #expect(refusal("{\(base), \"dnsIP1\": {\"B\": \"AAAA\"}}")?.contains("DynamoDB B value") == true)
        #expect(
            refusal("{\(base), \"regions\": {\"M\": {\"us-east-1\": {\"M\": {\"accountId\": {\"S\": \"1\"}}}}}}")?.contains(
                "cannot set \"accountId\"") == true)
        #expect(
            refusal("{\(base), \"joinPasswordSecret\": {\"S\": \"a\"}, \"adJoinUserPwParam\": {\"S\": \"/p\"}}")?.contains("not several")
                == true)
    }

    @Test func thePointerIsReadFromTheDefaultsFile() throws {
        let scratch = ScratchRoot("adjoin-defaults")
        defer { scratch.remove() }
        let root = scratch.url
        try FileManager.default.createDirectory(at: root.appendingPathComponent("etc/default"), withIntermediateDirectories: true)
        let file = root.appendingPathComponent("etc/default/adjoin")
        let files = HostFiles(root: root.path)
        #expect(try CentralSettingsPointer.read(files) == nil, "no file")
        try "ADJOIN_JOIN_OPTIONS=\"--configure-dns\"\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(try CentralSettingsPointer.read(files) == nil, "a file that names no table")
        try """
        # central settings
        export ADJOIN_SETTINGS_TABLE = "adjoin-settings"
        ADJOIN_SETTINGS_REGION='eu-west-1'
        ADJOIN_SETTINGS_ROLE_ARN=arn:aws:iam::409876543210:role/adjoin-settings-reader
        """.write(to: file, atomically: true, encoding: .utf8)
        #expect(
            try CentralSettingsPointer.read(files)
                == CentralSettingsPointer(
                    table: "adjoin-settings", region: "eu-west-1", roleArn: "arn:aws:iam::409876543210:role/adjoin-settings-reader",
                    source: "/etc/default/adjoin"))
        for (text, problem) in [
            ("ADJOIN_SETTINGS_REGION=eu-west-1\n", "without ADJOIN_SETTINGS_TABLE"),
            ("ADJOIN_SETTINGS_TABLE=t\n", "must be a DynamoDB table name"),
            ("ADJOIN_SETTINGS_TABLE=tab\nADJOIN_SETTINGS_ROLE_ARN=role/x\n", "must be an IAM role ARN"),
        ] {
            try text.write(to: file, atomically: true, encoding: .utf8)
            do {
                _ = try CentralSettingsPointer.read(files)
                Issue.record("accepted \(text)")
            } catch {
                #expect(
                    error.status == .invalidInput && error.message.contains(problem) && error.message.hasPrefix("/etc/default/adjoin"),
                    "\(error.message)")
            }
        }
    }

    @Test func aPointerParameterHoldsOnlyThePointer() throws {
        let source = "settings parameter 'adjoin'"
        let pointer = try CentralSettingsPointer.fromParameter(
            [("settingsTable", .string("adjoin-settings")), ("settingsRoleArn", .string("arn:aws:iam::409876543210:role/r"))],
            source: source)
        #expect(pointer == CentralSettingsPointer(table: "adjoin-settings", roleArn: "arn:aws:iam::409876543210:role/r", source: source))
        #expect(try CentralSettingsPointer.fromParameter([("domain", .string("corp.example.com"))], source: source) == nil)
        #expect(throws: AdjoinError.self) {
            try CentralSettingsPointer.fromParameter(
                [("settingsTable", .string("adjoin-settings")), ("domain", .string("corp.example.com"))], source: source)
        }
    }

    @Test func aSeamlessJoinSecretGivesUserAndPassword() throws {
        let (user, password) = try JoinPasswordSecret.read(
            SecretBytes(Array(#"{"awsSeamlessDomainUsername": "adjoiner", "awsSeamlessDomainPassword": "p{a}ss\"1"}"#.utf8)),
            secretId: "s")
        #expect(user == "adjoiner")
        #expect(password.withUnsafeBytes { Array($0) } == Array("p{a}ss\"1".utf8))

        let (none, plain) = try JoinPasswordSecret.read(SecretBytes(Array("{not json}\n".utf8)), secretId: "s")
        #expect(none == nil, "a password that only looks like JSON is a password")
        #expect(plain.withUnsafeBytes { Array($0) } == Array("{not json}".utf8))

        do {
            _ = try JoinPasswordSecret.read(SecretBytes(Array(#"{"username": "u", "password": "hunter2"}"#.utf8)), secretId: "adjoin/join")
            Issue.record("a JSON secret without the seamless keys was accepted")
        } catch {
            #expect(error.status == .invalidInput)
            #expect(error.message.contains("\"username\", \"password\"") && !error.message.contains("hunter2"))
        }
        #expect(throws: AdjoinError.self) { try JoinPasswordSecret.read(SecretBytes(Array("\n".utf8)), secretId: "s") }
    }

    @Test func namesAndARNs() {
        #expect(AWSNames.isSecretId("aws/directory-services/d-0123456789/seamless-domain-join"))
        #expect(AWSNames.isSecretId("arn:aws:secretsmanager:eu-west-1:409876543210:secret:adjoin/join-AbCdEf"))
        #expect(!AWSNames.isSecretId("arn:aws:ssm:eu-west-1:409876543210:parameter/adjoin"))
        #expect(!AWSNames.isSecretId("has space"))
        #expect(AWSNames.region(ofARN: "arn:aws:ssm:us-west-2:123456789012:parameter/adjoin") == "us-west-2")
        #expect(AWSNames.region(ofARN: "/adjoin") == nil)
        #expect(AWSNames.isParameterName("arn:aws:ssm:us-west-2:123456789012:parameter/adjoin"))
        #expect(!AWSNames.isParameterName("arn:aws:ssm::123456789012:parameter/adjoin"))
    }
}
