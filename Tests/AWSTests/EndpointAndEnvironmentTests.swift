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
        let full = try #require(
            try AWSEnvironment(variables: [
                "AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": "secret-value", "AWS_SESSION_TOKEN": "token-value",
            ]).credentials())
        #expect(full.accessKeyId == "AKIA1")
        #expect(full.secretAccessKey.withUnsafeBytes { Array($0) } == Array("secret-value".utf8))
        #expect(!"\(full)".contains("secret-value") && !"\(full)".contains("token-value"))
    }

    /// environ's entries, as the process has them (no setenv here: other tests in this process start
    /// programs meanwhile, and glibc's setenv is not safe against them).
    @Test func environmentEntriesAreRead() throws {
        let environment = AWSEnvironment(entries: [
            "PATH=/usr/bin", "AWS_ENDPOINT_URL_STS=http://127.0.0.1:7", "AWS_REGION=eu-west-1",
            "AWS_BROKEN", "NOT_AWS_REGION=us-east-1",
        ])
        #expect(try environment.endpoint(for: .sts, region: "us-east-1").description == "http://127.0.0.1:7")
        #expect(environment.region == "eu-west-1")
    }

    /// Where the process has a Region (the lab's environment sets one), `current()` finds it.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["AWS_REGION"].map { !$0.isEmpty } ?? false))
    func theProcessEnvironmentIsRead() {
        #expect(AWSEnvironment.current().region == ProcessInfo.processInfo.environment["AWS_REGION"])
    }
}

/// Instance metadata and the AWS APIs from an IPv6-only subnet, as the SDKs configure them.
@Suite struct IPv6EndpointTests {
    @Test func metadataIsAskedWhereTheModeSays() throws {
        #expect(try AWSEnvironment(variables: [:]).metadataEndpoint().description == "http://169.254.169.254")
        #expect(
            try AWSEnvironment(variables: ["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv4"]).metadataEndpoint().description
                == "http://169.254.169.254")
        for mode in ["IPv6", "ipv6"] {
            let endpoint = try AWSEnvironment(variables: ["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": mode]).metadataEndpoint()
            #expect(endpoint.description == "http://[fd00:ec2::254]")
            #expect(endpoint.isIPv6Literal)
        }
        // The endpoint, where given, wins over the mode (as in the SDKs); an IPv6 one in brackets, with its port.
        let given = try AWSEnvironment(variables: [
            "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv4",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://[fd00:ad:22::1]:5531",
        ]).metadataEndpoint()
        #expect(given.hostHeader == "[fd00:ad:22::1]:5531")
        #expect(given.origin == "http://[fd00:ad:22::1]:5531")
    }

    @Test(arguments: ["IPv5", "v6", "6", "dual"])
    func anUnknownModeIsInvalidInput(mode: String) {
        let error = #expect(throws: AdjoinError.self) {
            try AWSEnvironment(variables: ["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": mode]).metadataEndpoint()
        }
        #expect(error?.status == .invalidInput)
        #expect(error?.message.contains("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE") == true)
    }

    /// Without brackets an IPv6 address's last group would be taken for a port; brackets hold IPv6 alone.
    @Test(arguments: ["http://fd00:ec2::254", "http://fd00:ad:22::1:5531", "http://[10.0.0.1]:80", "http://[fd00::1"])
    func anIPv6AddressNeedsItsBrackets(url: String) {
        let error = #expect(throws: AdjoinError.self) {
            try AWSEnvironment(variables: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": url]).metadataEndpoint()
        }
        #expect(error?.status == .invalidInput)
    }

    @Test func dualStackNamesFollowTheSDKsVariable() throws {
        let dualStack = AWSEnvironment(variables: ["AWS_USE_DUALSTACK_ENDPOINT": "true"])
        let names = try [AWSService.ssm, .sts, .dynamoDB, .ec2, .secretsManager].map {
            try dualStack.endpoint(for: $0, region: "eu-west-1").description
        }
        #expect(
            names == [
                "https://ssm.eu-west-1.api.aws", "https://sts.eu-west-1.api.aws", "https://dynamodb.eu-west-1.api.aws",
                "https://ec2.eu-west-1.api.aws", "https://secretsmanager.eu-west-1.api.aws",
            ])
        #expect(
            try dualStack.endpoint(for: .ssm, region: "cn-north-1").description == "https://ssm.cn-north-1.api.amazonwebservices.com.cn")
        let ipv4 = AWSEnvironment(variables: ["AWS_USE_DUALSTACK_ENDPOINT": "FALSE"])
        #expect(try ipv4.endpoint(for: .ssm, region: "eu-west-1").description == "https://ssm.eu-west-1.amazonaws.com")
        // An endpoint given (the lab's, a VPC endpoint's) is used as it is.
        let given = AWSEnvironment(variables: ["AWS_USE_DUALSTACK_ENDPOINT": "true", "AWS_ENDPOINT_URL": "http://[fd00:ad:22::1]:5532"])
        #expect(try given.endpoint(for: .dynamoDB, region: "eu-west-1").description == "http://[fd00:ad:22::1]:5532")
        let error = #expect(throws: AdjoinError.self) {
            try AWSEnvironment(variables: ["AWS_USE_DUALSTACK_ENDPOINT": "yes"]).endpoint(for: .ssm, region: "eu-west-1")
        }
        #expect(error?.status == .invalidInput)
    }

    /// Metadata reached over IPv6 means an IPv6 subnet: the dual-stack names, unless the variable says otherwise.
    @Test func metadataOverIPv6ChoosesTheDualStackNames() throws {
        let ipv6Only = AWSEnvironment(variables: ["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"])
        #expect(try ipv6Only.endpoint(for: .sts, region: "us-east-1").description == "https://sts.us-east-1.api.aws")
        let given = AWSEnvironment(variables: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://[fd00:ad:22::1]:5531"])
        #expect(try given.usesDualStackEndpoints())
        let overruled = AWSEnvironment(variables: ["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6", "AWS_USE_DUALSTACK_ENDPOINT": "false"])
        #expect(try overruled.endpoint(for: .sts, region: "us-east-1").description == "https://sts.us-east-1.amazonaws.com")
        #expect(try !AWSEnvironment(variables: [:]).usesDualStackEndpoints())
    }
}
