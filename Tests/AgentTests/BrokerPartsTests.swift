import AdjoinCore
@testable import Agent
import Testing

/// The broker's small parts: the allow list, the caller's ARN, the broker URL, the runtime API's HTTP
/// reading, and the instance's reading of the broker's answers and refusals.
@Suite struct BrokerPartsTests {
    @Test func theAllowListTakesAccountsAndAccountRolePairs() throws {
        let list = try BrokerAllowList(parsing: "111122223333, 210987654321/web-role\n444455556666")
        let web = try BrokerCaller(arn: "arn:aws:sts::210987654321:assumed-role/web-role/i-0123456789abcdef0")
        let db = try BrokerCaller(arn: "arn:aws:sts::210987654321:assumed-role/db-role/i-0123456789abcdef0")
        let any = try BrokerCaller(arn: "arn:aws-cn:sts::111122223333:assumed-role/x/i-01234567")
        #expect(list.admits(web) && !list.admits(db) && list.admits(any))
        #expect(throws: AdjoinError.self) { try BrokerAllowList(parsing: "12345") }
        #expect(throws: AdjoinError.self) { try BrokerAllowList(parsing: "111122223333/bad role") }
        #expect(try BrokerAllowList(parsing: nil).isEmpty)
    }

    @Test func theCallerIsTheInstanceOfAnInstanceProfileSession() throws {
        let caller = try BrokerCaller(arn: "arn:aws:sts::210987654321:assumed-role/web-role/i-0123456789abcdef0")
        #expect(caller == (try BrokerCaller(arn: "arn:aws:sts::210987654321:assumed-role/web-role/i-0123456789abcdef0")))
        #expect(caller.accountId == "210987654321" && caller.roleName == "web-role" && caller.instanceId == "i-0123456789abcdef0")
        for arn in [
            "arn:aws:sts::210987654321:assumed-role/web-role/i-0123456789ABCDEF0", "arn:aws:sts::210987654321:assumed-role/web-role/i-0123",
            "arn:aws:iam::210987654321:role/web-role", "arn:aws:sts::210987654321:assumed-role/web-role/i-0123456789abcdef0/x",
        ] {
            #expect(throws: AdjoinError.self, "\(arn)") { try BrokerCaller(arn: arn) }
        }
    }

    @Test func aBrokerURLIsHTTPSOrALoopbackStandIn() {
        #expect(BrokerURL.isValid("https://abcdefghij.lambda-url.eu-west-1.on.aws"))
        #expect(BrokerURL.isValid("http://127.0.0.1:8080"))
        #expect(!BrokerURL.isValid("http://broker.example.com"))
        #expect(!BrokerURL.isValid("https://user:pw@broker.example.com"))
        #expect(!BrokerURL.isValid("ftp://x"))
    }

    @Test func theRuntimeAPIsAnswerIsReadWithItsHeadersAndLength() throws {
        let reply = Array("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: abc-1\r\nContent-Length: 4\r\n\r\n{}{}".utf8)
        let parsed = try #require(LambdaRuntimeAPI.parse(reply))
        #expect(parsed.status == 200 && parsed.complete)
        #expect(parsed.headers["lambda-runtime-aws-request-id"] == "abc-1")
        #expect(parsed.body == Array("{}{}".utf8))
        #expect(LambdaRuntimeAPI.parse(Array(reply.dropLast(2)))?.complete == false)
        #expect(LambdaRuntimeAPI.parse(Array("HTTP/1.1 200 OK\r\n".utf8)) == nil)
    }

    @Test func theInstanceReadsTheAnswerAndTheRefusals() throws {
        let body =
            #"{"oneTimePassword":"One-Time-1","status":"PRESET","domain":"corp.example.com","domainControllers":["192.0.2.10"],"computerName":"IP-10-1-2-3","hostFQDN":"ip-10-1-2-3.corp.example.com","loginGroups":["linux-admins"],"sudoGroup":null}"#
        let reply = try JSON.parse(Array(body.utf8), secretKeys: ["oneTimePassword"])
        let answer = try InstanceBroker.answer(reply, url: "https://b")
        #expect(answer.computerName.value == "IP-10-1-2-3" && answer.hostFQDN == "ip-10-1-2-3.corp.example.com")
        #expect(answer.settings.login.allowedGroups.map(\.value) == ["linux-admins"] && answer.settings.login.sudoGroup == nil)
        #expect(answer.oneTimePassword.withUnsafeBytes { Array($0) } == Array("One-Time-1".utf8))
        #expect(answer.settings.broker == "https://b")
        #expect(InstanceBroker.refusal(403, url: "https://b", detail: "Forbidden").status == .accessDenied)
        #expect(InstanceBroker.refusal(503, url: "https://b", detail: "x").status == .networkError)
        // RATE_LIMITED carries when the broker will reset again, from its body to the instance's error.
        var limited = AdjoinError(.rateLimited, "set 20 s ago")
        limited.retryAfter = .seconds(41)
        let refusal = try JSON.parse(BrokerEvent.errorBody(limited))
        #expect(refusal["status"]?.string == "RATE_LIMITED" && refusal["retryAfterSeconds"]?.integer == 41)
        #expect(try JSON.parse(BrokerEvent.errorBody(AdjoinError(.notRunning, "stopped")))["retryAfterSeconds"] == nil)
        let refused = InstanceBroker.refused(429, refusal, url: "https://b")
        #expect(refused.status == .rateLimited && refused.retryAfter == .seconds(41) && refused.message.contains("set 20 s ago"))
        #expect(InstanceBroker.refused(403, try JSON.parse(Array(#"{"Message":"Forbidden"}"#.utf8)), url: "https://b").retryAfter == nil)
        let missing = try JSON.parse(Array(#"{"status":"PRESET","domain":"corp.example.com"}"#.utf8), secretKeys: ["oneTimePassword"])
        #expect(throws: AdjoinError.self) { try InstanceBroker.answer(missing, url: "https://b") }
    }
}
