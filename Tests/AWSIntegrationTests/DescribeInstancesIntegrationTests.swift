import AdjoinCore
import Foundation
import Testing
@testable import AWS

/// EC2 DescribeInstances by id, as sweep asks it: moto behind the checking proxy.
@Suite(.needsLab) struct DescribeInstancesIntegrationTests {
    let lab: AWSLab
    init() throws { lab = try AWSLab.current() }

    /// Real instances in each state, among hundreds of ids EC2 never knew: one call per 200 ids (the
    /// filter does not fail on unknown ids, as InstanceId.N would), each call's pages followed.
    @Test func statesComeBackForKnownIdsOnlyInBatchesOf200() throws {
        let region = "eu-west-1"
        let launched = try lab.boto3(
            """
            ec2 = boto3.client('ec2', endpoint_url=ENDPOINT, region_name=sys.argv[1])
            ids = [i['InstanceId'] for i in ec2.run_instances(ImageId='ami-12c6146b', MinCount=7, MaxCount=7)['Instances']]
            ec2.terminate_instances(InstanceIds=ids[0:2])
            ec2.stop_instances(InstanceIds=ids[2:3])
            print(' '.join(ids))
            """, [region]
        ).split(separator: " ").map(String.init)
        #expect(launched.count == 7)
        let unknown = (0..<440).map { String(format: "i-0ffff%012x", $0) }
        // The real ones at both ends and in the middle of the batches.
        let asked = [launched[0]] + unknown[0..<250] + launched[1...3] + unknown[250...] + launched[4...]
        let token = AWSLab.newSessionToken()
        let environment = lab.environment(sessionToken: token, region: region)
        let ec2 = try EC2Client(
            region: region, credentials: AWSCredentialChain(environment: environment, metadata: nil), environment: environment)
        ec2.pageSize = 5
        let states = try ec2.instanceStates(Array(asked), deadline: Deadline(seconds: 30))
        #expect(states[launched[0]] == "terminated")
        #expect(states[launched[1]] == "terminated")
        #expect(states[launched[2]] == "stopped")
        for id in launched[3...] { #expect(states[id] == "running", "\(id)") }
        #expect(Set(states.keys) == Set(launched), "unknown ids are absent, not errors")
        let verdicts = try lab.verdicts(sessionToken: token)
        #expect(verdicts.allSatisfy { $0.verdict == "verified" && $0.operation == "DescribeInstances" && $0.region == region })
        // 447 ids: three batches (200, 200, 47); moto does not page filtered replies, so one call each.
        #expect(verdicts.count == 3, "\(verdicts.count) calls")
    }

    @Test func aRefusedCallNamesTheRegionAndKeepsItsStatus() throws {
        let token = AWSLab.newSessionToken()
        let environment = AWSEnvironment(variables: [
            "AWS_ENDPOINT_URL": lab.proxyEndpoint, "AWS_ACCESS_KEY_ID": lab.accessKeyId,
            "AWS_SECRET_ACCESS_KEY": "wrong", "AWS_SESSION_TOKEN": token,
        ])
        let ec2 = try EC2Client(
            region: "us-west-2", credentials: AWSCredentialChain(environment: environment, metadata: nil), environment: environment)
        let error = #expect(throws: AdjoinError.self) { try ec2.instanceStates(["i-0123456789abcdef0"], deadline: Deadline(seconds: 10)) }
        #expect(error?.status == .accessDenied)
        #expect(error?.message.contains("us-west-2") == true)
    }
}
