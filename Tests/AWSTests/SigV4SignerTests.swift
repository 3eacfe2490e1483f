import AdjoinCore
import Foundation
import TestSupport
import Testing
@testable import AWS

/// The signer against botocore's SigV4Auth, run live (scripts/lab-support/sigv4_reference.py) on the
/// same request, credentials and time: any difference in canonicalization changes the signature.
@Suite(.needsBotocore) struct SigV4SignerTests {
    static let time = UTCTime(seconds: 1_706_662_923)  // 2024-01-31T01:02:03Z
    static let endpoint = try! Endpoint(parsing: "http://127.0.0.1:5560", source: "test")

    static func credentials(token: String?) -> AWSCredentials {
        AWSCredentials(
            accessKeyId: "AKIDEXAMPLEADJOIN01", secretAccessKey: SecretBytes(Array("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".utf8)),
            sessionToken: token.map { SecretBytes(Array($0.utf8)) }, source: "test")
    }

    struct Reference: Decodable {
        let canonicalRequest: String
        let stringToSign: String
        let authorization: String
    }

    /// botocore's result for `request` as it stands before signing.
    func botocore(_ request: HTTPRequest, token: String?, service: String) throws -> Reference {
        var headers: [[String]] = []
        for header in request.headers {
            guard case .text(let value) = header.value else { continue }
            headers.append([header.name, value])
        }
        let spec: [String: Any?] = [
            "method": request.method, "url": request.url, "headers": headers,
            "body": String(decoding: request.body, as: UTF8.self),
            "accessKeyId": "AKIDEXAMPLEADJOIN01", "secretAccessKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "sessionToken": token, "region": "eu-west-3", "service": service, "amzDate": SigV4SignerTests.time.amzDate,
        ]
        let input = try JSONSerialization.data(withJSONObject: spec.mapValues { $0 ?? NSNull() })
        let output = try LabEnvironment.runSupport("sigv4_reference.py", input: input)
        return try JSONDecoder().decode(Reference.self, from: output)
    }

    func check(_ request: HTTPRequest, token: String?, service: String) throws {
        let reference = try botocore(request, token: token, service: service)
        let signer = SigV4Signer(service: service, region: "eu-west-3")
        var signed = request
        signer.sign(&signed, with: SigV4SignerTests.credentials(token: token), at: SigV4SignerTests.time)
        var unsigned = signed
        unsigned.headers.removeAll { $0.name == "Authorization" }
        let canonical = signer.canonicalRequest(unsigned)
        #expect(String(decoding: canonical.bytes, as: UTF8.self) == reference.canonicalRequest)
        let authorization = signed.headers.first { $0.name == "Authorization" }
        guard case .text(let value)? = authorization?.value else {
            Issue.record("no Authorization header")
            return
        }
        #expect(value == reference.authorization)
        if let token {
            let tokenHeader = signed.headers.first { $0.name == "X-Amz-Security-Token" }
            guard case .secret(let secret)? = tokenHeader?.value else {
                Issue.record("the session token is not a secret header")
                return
            }
            #expect(secret.withUnsafeBytes { Array($0) } == Array(token.utf8))
        }
    }

    @Test func getWithUnsortedQueryNeedingEncoding() throws {
        let request = HTTPRequest(
            method: "GET", endpoint: SigV4SignerTests.endpoint, path: "/",
            query: [
                ("Version", "2016-11-15"), ("Action", "DescribeTags"), ("zeta", "a b/c~d*e'(é)"), ("Filter.1.Value.1", "i-0abc"),
                ("Filter.1.Name", "resource-id"), ("alpha", "+&="), ("Alpha", "x"), ("dup", "2"), ("dup", "1"), ("empty", ""),
            ])
        try check(request, token: nil, service: "ec2")
    }

    @Test func getWithSessionToken() throws {
        let request = HTTPRequest(
            method: "GET", endpoint: SigV4SignerTests.endpoint, path: "/",
            query: [("Version", "2011-06-15"), ("Action", "GetCallerIdentity")])
        try check(request, token: "FwoGZXIvYXdzEBYaD+token/with=chars==", service: "sts")
    }

    @Test func postJSONWithSessionToken() throws {
        let request = HTTPRequest(
            method: "POST", endpoint: SigV4SignerTests.endpoint, path: "/",
            headers: [
                HTTPHeader("Content-Type", "application/x-amz-json-1.1"), HTTPHeader("X-Amz-Target", "AmazonSSM.GetParameter"),
            ], body: Array(#"{"Name":"adjoin","WithDecryption":true}"#.utf8))
        try check(request, token: "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ", service: "ssm")
    }

    @Test func postJSONWithoutSessionToken() throws {
        let request = HTTPRequest(
            method: "POST", endpoint: try Endpoint(parsing: "https://dynamodb.eu-west-3.amazonaws.com", source: "test"),
            path: "/",
            headers: [
                HTTPHeader("Content-Type", "application/x-amz-json-1.0"), HTTPHeader("X-Amz-Target", "DynamoDB_20120810.PutItem"),
            ], body: Array(#"{"TableName":"adjoin-status","Item":{"instanceId":{"S":"i-1"}}}"#.utf8))
        try check(request, token: nil, service: "dynamodb")
    }

    @Test func postFormOfTheQueryProtocol() throws {
        let request = HTTPRequest(
            method: "POST", endpoint: SigV4SignerTests.endpoint, path: "/",
            headers: [
                HTTPHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
            ],
            body: URIEncoding.formBody([
                ("Action", "AssumeRole"), ("RoleArn", "arn:aws:iam::111122223333:role/status writer"),
                ("RoleSessionName", "i-0abc"), ("Version", "2011-06-15"),
            ]))
        try check(request, token: nil, service: "sts")
    }

    /// The signature does not depend on the order the query was written in (curl 7.88's signer does).
    @Test func queryOrderDoesNotChangeTheSignature() {
        let signer = SigV4Signer(service: "ec2", region: "eu-west-3")
        var first = HTTPRequest(method: "GET", endpoint: SigV4SignerTests.endpoint, query: [("b", "1"), ("a", "2")])
        var second = HTTPRequest(method: "GET", endpoint: SigV4SignerTests.endpoint, query: [("a", "2"), ("b", "1")])
        var third = HTTPRequest(method: "GET", endpoint: SigV4SignerTests.endpoint, query: [("a", "2"), ("b", "3")])
        for index in [0, 1, 2] {
            switch index {
            case 0: signer.sign(&first, with: SigV4SignerTests.credentials(token: nil), at: SigV4SignerTests.time)
            case 1: signer.sign(&second, with: SigV4SignerTests.credentials(token: nil), at: SigV4SignerTests.time)
            default: signer.sign(&third, with: SigV4SignerTests.credentials(token: nil), at: SigV4SignerTests.time)
            }
        }
        func authorization(_ request: HTTPRequest) -> String? {
            guard case .text(let value)? = request.headers.first(where: { $0.name == "Authorization" })?.value else { return nil }
            return value
        }
        #expect(authorization(first) != nil)
        #expect(authorization(first) == authorization(second))
        #expect(authorization(first) != authorization(third))
    }
}
