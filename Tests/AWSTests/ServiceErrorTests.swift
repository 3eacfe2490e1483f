import AdjoinCore
import Testing
@testable import AWS

@Suite struct ServiceErrorTests {
    @Test func jsonAndXMLErrorsAreRead() {
        let json = AWSServiceError(
            jsonBody: Array(#"{"__type":"com.amazonaws.ssm#ParameterNotFound","message":"nope"}"#.utf8), httpStatus: 400)
        #expect(json.code == "ParameterNotFound")
        #expect(json.message == "nope")
        let xml = AWSServiceError(
            xmlBody: Array(
                "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow down</Message></Error></Errors></Response>".utf8),
            httpStatus: 503)
        #expect(xml.code == "RequestLimitExceeded")
        #expect(xml.isRetryable)
        let garbage = AWSServiceError(jsonBody: Array("<html>".utf8), httpStatus: 502)
        #expect(garbage.code == "HTTP 502")
        #expect(garbage.isRetryable)
    }

    /// A signature error's message carries the canonical request, session token included: it is dropped.
    @Test func accessErrorsKeepOnlyTheCode() {
        let echo = "The canonical String for this request should have been 'POST / x-amz-security-token:SECRET-TOKEN'"
        for code in ["InvalidSignatureException", "SignatureDoesNotMatch", "UnrecognizedClientException", "AccessDeniedException"] {
            let error = AWSServiceError(code: code, message: echo, httpStatus: 400).adjoinError("SSM GetParameter at http://x")
            #expect(error.status == .accessDenied)
            #expect(!error.message.contains("SECRET-TOKEN"))
            #expect(error.message.contains(code))
        }
        let other = AWSServiceError(code: "ValidationException", message: "bad\u{1b}[31m value", httpStatus: 400).adjoinError("op")
        #expect(other.status == .unknownError)
        #expect(other.message.contains("bad[31m value"))
    }

    @Test func backoffIsFullJitterUnderACap() {
        let policy = RetryPolicy()
        for attempt in 1...12 {
            let ceiling = min(Duration.seconds(5), .milliseconds(100) * (1 << (attempt - 1)))
            for _ in 0..<20 { #expect(policy.backoff(attempt: attempt) <= ceiling) }
        }
        let samples = (0..<50).map { _ in policy.backoff(attempt: 6) }
        #expect(Set(samples).count > 1)
    }
}
