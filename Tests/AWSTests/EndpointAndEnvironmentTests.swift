import AdjoinCore
import Foundation
import Testing
@testable import AWS

@Suite struct EndpointAndEnvironmentTests {
    @Test func endpointsParseAsTheSDKsTakeThem() throws {
        let plain = try Endpoint(parsing: "http://127.0.0.1:5512", source: "t")
        #expect(plain.hostHeader == "127.0.0.1:5512")
        #expect(plain.basePath == "")
        let https = try Endpoint(parsing: "HTTPS://SSM.eu-west-1.amazonaws.com:443/", source: "t")
        #expect(https.scheme == "https")
        #expect(https.hostHeader == "ssm.eu-west-1.amazonaws.com")
        let withPath = try Endpoint(parsing: "http://[::1]:8080/prefix/", source: "t")
        #expect(withPath.hostHeader == "[::1]:8080")
        #expect(withPath.basePath == "/prefix")
        for bad in ["ftp://x", "http://", "http://host:99999", "http://user@host", "host:80", "http://a b"] {
            let error = #expect(throws: AdjoinError.self) { try Endpoint(parsing: bad, source: "AWS_ENDPOINT_URL") }
            #expect(error?.status == .invalidInput)
            #expect(error?.message.contains("AWS_ENDPOINT_URL") == true)
        }
    }

    @Test func serviceEndpointsFollowTheSDKOrder() throws {
        let environment = AWSEnvironment(variables: [
            "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:2", "AWS_ENDPOINT_URL_SSM": "",
        ])
        #expect(try environment.endpoint(for: .dynamoDB, region: "eu-west-1").description == "http://127.0.0.1:2")
        #expect(try environment.endpoint(for: .ssm, region: "eu-west-1").description == "http://127.0.0.1:1")
        let none = AWSEnvironment(variables: [:])
        #expect(try none.endpoint(for: .sts, region: "eu-west-1").description == "https://sts.eu-west-1.amazonaws.com")
        #expect(try none.endpoint(for: .ec2, region: "cn-north-1").description == "https://ec2.cn-north-1.amazonaws.com.cn")
        #expect(none.region == nil)
        #expect(AWSEnvironment(variables: ["AWS_DEFAULT_REGION": "eu-west-3"]).region == "eu-west-3")
        #expect(AWSEnvironment(variables: ["AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-3"]).region == "eu-west-1")
    }

    @Test func environmentCredentialsComeAsAPair() throws {
        #expect(try AWSEnvironment(variables: [:]).credentials() == nil)
        let half = #expect(throws: AdjoinError.self) { try AWSEnvironment(variables: ["AWS_ACCESS_KEY_ID": "AKIA1"]).credentials() }
        #expect(half?.status == .invalidInput)
        let full = try #require(try AWSEnvironment(variables: [
            "AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": "secret-value", "AWS_SESSION_TOKEN": "token-value",
        ]).credentials())
        #expect(full.accessKeyId == "AKIA1")
        #expect(full.secretAccessKey.withUnsafeBytes { Array($0) } == Array("secret-value".utf8))
        #expect(!"\(full)".contains("secret-value") && !"\(full)".contains("token-value"))
    }

    /// environ's entries, as the process has them (no setenv here: other tests in this process start
    /// programs meanwhile, and glibc's setenv is not safe against them).
    @Test func environmentEntriesAreRead() throws {
        let environment = AWSEnvironment(entries: ["PATH=/usr/bin", "AWS_ENDPOINT_URL_STS=http://127.0.0.1:7", "AWS_REGION=eu-west-1",
                                                   "AWS_BROKEN", "NOT_AWS_REGION=us-east-1"])
        #expect(try environment.endpoint(for: .sts, region: "us-east-1").description == "http://127.0.0.1:7")
        #expect(environment.region == "eu-west-1")
    }

    /// Where the process has a Region (the lab's environment sets one), `current()` finds it.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["AWS_REGION"].map { !$0.isEmpty } ?? false))
    func theProcessEnvironmentIsRead() {
        #expect(AWSEnvironment.current().region == ProcessInfo.processInfo.environment["AWS_REGION"])
    }
}
