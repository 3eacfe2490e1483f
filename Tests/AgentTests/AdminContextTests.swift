import AdjoinCore
import Foundation
import Testing
import TestSupport
@testable import Agent
@testable import AWS

/// Where an admin command's account, Region and session names come from, against a scripted transport
/// that fails the test on any request it was not told of (instance metadata included).
@Suite struct AdminContextTests {
    struct Firmware: HostFirmware {
        let sign: String?
        func ec2Sign() -> String? { sign }
    }

    static let callerIdentity = """
        <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>
        <Arn>arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com</Arn>
        <UserId>AROAEXAMPLE:alice@example.com</UserId><Account>111122223333</Account></GetCallerIdentityResult></GetCallerIdentityResponse>
        """
    static let document =
        #"{"instanceId": "i-0fedcba9876543210", "accountId": "444455556666", "region": "eu-west-1", "availabilityZone": "eu-west-1a"}"#

    func load(
        _ variables: [String: String], firmware: String? = nil, metadataEndpoint: Bool = true,
        _ steps: [HTTPStep]
    ) -> (Result<AdminContext, AdjoinError>, FakeHTTPTransport) {
        let transport = FakeHTTPTransport(steps)
        var environment = AWSEnvironment(
            variables: variables.merging(metadataEndpoint ? ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://192.0.2.1"] : [:]) { a, _ in a })
        environment.makeTransport = { transport }
        let context = RunContext(
            deadline: Deadline(seconds: 10), progress: { _ in }, environment: environment, firmware: Firmware(sign: firmware))
        let result = Result { () throws(AdjoinError) -> AdminContext in
            try AdminContext.load(parameter: nil, flags: AgentSettings(), context: context, deadline: context.deadline, progress: { _ in })
        }
        return (result, transport)
    }

    static let keys = ["AWS_ACCESS_KEY_ID": "AKIAADMIN", "AWS_SECRET_ACCESS_KEY": "admin-secret"]

    @Test func offAnInstanceTheAccountIsTheCallersAndMetadataIsNeverAsked() throws {
        let (result, transport) = load(
            Self.keys.merging(["AWS_REGION": "eu-central-1"]) { a, _ in a },
            [.answer("POST", "/", status: 200, body: Self.callerIdentity)])
        let context = try result.get()
        transport.script.finish()
        #expect(context.accountId == "111122223333")
        #expect(context.region == "eu-central-1")
        #expect(context.caller == "alice@example.com")
        #expect(context.instance == nil)
        #expect(transport.origins == ["https://sts.eu-central-1.amazonaws.com"])
    }

    @Test func withoutARegionOffEC2ItIsInvalidInputAndNothingIsAsked() {
        let (result, transport) = load(Self.keys, [])
        guard case .failure(let error) = result else { Issue.record("a context without a Region"); return }
        #expect(error.status == .invalidInput && error.message.contains("AWS_REGION"))
        transport.script.finish()
    }

    @Test func withoutARegionOnEC2TheIdentityDocumentNamesIt() throws {
        let (result, transport) = load(
            Self.keys, firmware: "system vendor Amazon EC2",
            [
                .answer("PUT", "/latest/api/token", status: 200, body: "scripted-token"),
                .answer("GET", "/latest/dynamic/instance-identity/document", status: 200, body: Self.document),
                .answer("POST", "/", status: 200, body: Self.callerIdentity),
            ])
        let context = try result.get()
        transport.script.finish()
        #expect(context.region == "eu-west-1")
        // The account is still the caller's, not the instance's.
        #expect(context.accountId == "111122223333")
    }

    /// A workstation with nothing configured is told so at once; metadata is not asked.
    @Test func withNoSourceOffEC2ItFailsWithoutAskingMetadata() {
        let (result, transport) = load([:], metadataEndpoint: false, [])
        guard case .failure(let error) = result else { Issue.record("a context without credentials"); return }
        #expect(error.status == .accessDenied && error.message.contains("not an EC2 instance"), "\(error)")
        transport.script.finish()
    }

    @Test func withNoOtherSourceItIsTheInstanceAsBefore() throws {
        let (result, transport) = load(
            [:],
            [
                .answer("PUT", "/latest/api/token", status: 200, body: "scripted-token"),
                .answer("GET", "/latest/dynamic/instance-identity/document", status: 200, body: Self.document),
                .answer("GET", "/latest/meta-data/local-hostname", status: 200, body: "ip-10-0-0-5.ec2.internal"),
            ])
        let context = try result.get()
        transport.script.finish()
        #expect(context.accountId == "444455556666" && context.region == "eu-west-1")
        #expect(context.caller == "i-0fedcba9876543210")
        #expect(context.instance != nil)
    }
}
