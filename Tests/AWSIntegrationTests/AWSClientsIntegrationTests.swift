import AdjoinCore
import Foundation
import TestSupport
import Testing
@testable import AWS

/// SSM, EC2 and STS against moto behind the lab's checking proxy: every request the agent sends is
/// re-signed by botocore there, and the tests read the proxy's verdicts.
@Suite(.needsLab) struct AWSClientsIntegrationTests {
    let lab: AWSLab
    init() throws { lab = try AWSLab.current() }

    func credentials(_ environment: AWSEnvironment) -> AWSCredentialChain {
        AWSCredentialChain(environment: environment, metadata: nil)
    }

    @Test func getParameterDecryptsASecureStringWithKMS() throws {
        let name = "/adjoin/test/\(UUID().uuidString)"
        let value = "Pa55-\(UUID().uuidString)-é\"\\"
        try AWSFixtures.call("put_secure_string", ["name": name, "value": value, "description": "adjoin test"])
        let token = AWSLab.newSessionToken()
        let environment = lab.environment(sessionToken: token)
        let ssm = try SSMClient(region: "us-east-1", credentials: credentials(environment), environment: environment)
        let secret = try ssm.getParameter(name, deadline: Deadline(seconds: 10))
        #expect(secret.withUnsafeBytes { Array($0) } == Array(value.utf8))
        #expect("\(secret)" == "<secret>")
        let verdicts = try lab.verdicts(sessionToken: token)
        #expect(verdicts.map(\.operation) == ["AmazonSSM.GetParameter"])
        #expect(verdicts.allSatisfy { $0.verdict == "verified" && $0.upstreamStatus == 200 })
    }

    @Test func aMissingParameterIsInvalidInputNamingIt() throws {
        let token = AWSLab.newSessionToken()
        let environment = lab.environment(sessionToken: token)
        let ssm = try SSMClient(region: "us-east-1", credentials: credentials(environment), environment: environment)
        let error = #expect(throws: AdjoinError.self) { try ssm.getParameter("/adjoin/test/absent", deadline: Deadline(seconds: 10)) }
        #expect(error?.status == .invalidInput)
        #expect(error?.message.contains("/adjoin/test/absent") == true)
        #expect(try lab.verdicts(sessionToken: token).map(\.verdict) == ["verified"])
    }

    /// A wrong secret key: the proxy refuses the signature, the agent says ACCESS_DENIED, and nothing
    /// secret (the key, the session token, the service's echo of the canonical request) is in the message.
    @Test func aRefusedSignatureIsAccessDeniedWithoutSecretsInTheMessage() throws {
        let token = AWSLab.newSessionToken()
        let wrongSecret = "wrong-\(UUID().uuidString)"
        let environment = AWSEnvironment(variables: [
            "AWS_ENDPOINT_URL": lab.proxyEndpoint, "AWS_ACCESS_KEY_ID": lab.accessKeyId,
            "AWS_SECRET_ACCESS_KEY": wrongSecret, "AWS_SESSION_TOKEN": token,
        ])
        let ssm = try SSMClient(region: "us-east-1", credentials: credentials(environment), environment: environment)
        let error = #expect(throws: AdjoinError.self) { try ssm.getParameter("adjoin", deadline: Deadline(seconds: 10)) }
        #expect(error?.status == .accessDenied)
        #expect(error?.message.contains("InvalidSignatureException") == true)
        for secret in [wrongSecret, token, lab.secretAccessKey, "signature we calculated"] {
            #expect(error?.message.contains(secret) == false)
            #expect(error?.description.contains(secret) == false)
        }
        #expect(try lab.verdicts(sessionToken: token).map(\.verdict) == ["refused"])
    }

    @Test func describeTagsFollowsNextTokenThroughThePages() throws {
        let instanceId = try lab.boto3(
            """
            ec2 = boto3.client('ec2', endpoint_url=ENDPOINT)
            i = ec2.run_instances(ImageId='ami-12c6146b', MinCount=1, MaxCount=1)['Instances'][0]['InstanceId']
            ec2.create_tags(Resources=[i], Tags=[{'Key': 'key-%02d' % n, 'Value': 'value %d & <%d>' % (n, n)} for n in range(12)])
            print(i)
            """)
        let token = AWSLab.newSessionToken()
        let environment = lab.environment(sessionToken: token)
        let ec2 = try EC2Client(region: "us-east-1", credentials: credentials(environment), environment: environment)
        ec2.pageSize = 5
        let tags = try ec2.tags(instanceId: instanceId, deadline: Deadline(seconds: 10))
        #expect(tags.count == 12)
        for n in 0..<12 { #expect(tags[String(format: "key-%02d", n)] == "value \(n) & <\(n)>") }
        let verdicts = try lab.verdicts(sessionToken: token)
        #expect(verdicts.map(\.operation) == ["DescribeTags", "DescribeTags", "DescribeTags"])
        #expect(verdicts.allSatisfy { $0.verdict == "verified" })
    }

    @Test func assumeRoleReturnsTheRolesCredentials() throws {
        let token = AWSLab.newSessionToken()
        let environment = lab.environment(sessionToken: token)
        let sts = try STSClient(region: "us-east-1", credentials: credentials(environment), environment: environment)
        let assumed = try sts.assumeRole(
            arn: "arn:aws:iam::111122223333:role/adjoin-status", sessionName: "i-0123456789abcdef0",
            deadline: Deadline(seconds: 10))
        #expect(assumed.accessKeyId.hasPrefix("ASIA"))
        #expect(assumed.sessionToken != nil)
        #expect(assumed.expiration.map { $0 > UTCTime.now().seconds } == true)
        #expect(try lab.verdicts(sessionToken: token).map(\.operation) == ["AssumeRole"])
    }

    /// No keys in the environment: the role's credentials from instance metadata sign the request,
    /// and the proxy checks them with the secret in the emulator's state.
    @Test func roleCredentialsFromInstanceMetadataSignRequests() throws {
        let name = "/adjoin/test/role-\(UUID().uuidString)"
        try AWSFixtures.call("put_parameter", ["name": name, "value": "x"])
        let environment = lab.environment(sessionToken: "", keys: false)
        let chain = AWSCredentialChain(environment: environment, metadata: try InstanceMetadata(environment: environment))
        let credentials = try chain.credentials(deadline: Deadline(seconds: 10))
        let state = try lab.imdsStateDocument()
        let stateCredentials = try #require(state["credentials"] as? [String: String])
        #expect(credentials.accessKeyId == stateCredentials["accessKeyId"])
        #expect(credentials.source.contains("instance role"))
        let ssm = try SSMClient(region: "us-east-1", credentials: chain, environment: environment)
        #expect(try ssm.getParameter(name, deadline: Deadline(seconds: 10)).withUnsafeBytes { Array($0) } == Array("x".utf8))
        let token = try #require(stateCredentials["token"])
        let verdicts = try lab.verdicts(sessionToken: token).filter { $0.operation == "AmazonSSM.GetParameter" }
        #expect(!verdicts.isEmpty)
        #expect(verdicts.allSatisfy { $0.verdict == "verified" && $0.accessKeyId == stateCredentials["accessKeyId"] })
    }

    /// Role credentials with less than five minutes left are fetched again before each use.
    @Test func roleCredentialsCloseToExpiryAreRefreshed() throws {
        let imds = try PrivateIMDS(state: ["credentialLifetimeSeconds": 120])
        let environment = AWSEnvironment(variables: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.endpoint])
        let chain = AWSCredentialChain(environment: environment, metadata: try InstanceMetadata(environment: environment))
        _ = try chain.credentials(deadline: Deadline(seconds: 10))
        _ = try chain.credentials(deadline: Deadline(seconds: 10))
        let log = imds.stop()
        #expect(log.filter { $0.hasPrefix("GET /latest/meta-data/iam/security-credentials/adjoin-lab-instance-role 200") }.count == 2)

        let longLived = try PrivateIMDS(state: ["credentialLifetimeSeconds": 3600])
        let environment2 = AWSEnvironment(variables: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": longLived.endpoint])
        let chain2 = AWSCredentialChain(environment: environment2, metadata: try InstanceMetadata(environment: environment2))
        _ = try chain2.credentials(deadline: Deadline(seconds: 10))
        _ = try chain2.credentials(deadline: Deadline(seconds: 10))
        #expect(longLived.stop().filter { $0.contains("security-credentials/adjoin-lab-instance-role") }.count == 1)
    }

    @Test func environmentKeysComeBeforeTheInstanceRole() throws {
        let environment = AWSEnvironment(variables: [
            "AWS_ACCESS_KEY_ID": "AKIAENVIRONMENT00001", "AWS_SECRET_ACCESS_KEY": "s",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1",
        ])
        let chain = AWSCredentialChain(environment: environment, metadata: try InstanceMetadata(environment: environment))
        let credentials = try chain.credentials(deadline: Deadline(seconds: 5))
        #expect(credentials.accessKeyId == "AKIAENVIRONMENT00001")
        #expect(credentials.sessionToken == nil)
    }
}
