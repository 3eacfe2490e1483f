import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif

/// Sends signed requests to one AWS service in one region, with the SDKs' standard retries:
/// throttling, 5xx and dropped connections are tried again after an exponential backoff with full
/// jitter, all within the caller's deadline; expired credentials are refreshed once.
final class AWSServiceClient {
    let service: AWSService
    let region: String
    let endpoint: Endpoint
    let credentials: AWSCredentialProvider
    private let http: any HTTPTransport
    var retry = RetryPolicy()

    /// `transport`: libcurl when nil.
    init(
        service: AWSService, region: String, endpoint: Endpoint, credentials: AWSCredentialProvider,
        transport: (any HTTPTransport)? = nil
    ) throws(AdjoinError) {
        self.service = service
        self.region = region
        self.endpoint = endpoint
        self.credentials = credentials
        if let transport {
            http = transport
        } else {
            http = try HTTPClient()
        }
    }

    /// What goes before an operation's name in messages: "SSM at https://ssm.eu-west-1.amazonaws.com".
    var label: String { "\(service.displayName) at \(endpoint)" }

    /// The JSON protocols (SSM: 1.1, DynamoDB: 1.0). Members of the reply named in `secretKeys` are
    /// decoded into SecretBytes; the reply's bytes are wiped once parsed.
    func callJSON(
        _ target: String, operation: String, body: JSON, jsonVersion: String, secretKeys: Set<String> = [],
        deadline: Deadline
    ) throws(AWSCallError) -> JSON {
        var request = HTTPRequest(
            method: "POST", endpoint: endpoint,
            headers: [
                HTTPHeader("Content-Type", "application/x-amz-json-\(jsonVersion)"), HTTPHeader("X-Amz-Target", target),
            ], body: Array(body.serialized().utf8))
        defer { request.body.wipe() }
        var reply = try send(request, operation: operation, errorFormat: .json, deadline: deadline)
        defer { reply.wipe() }
        do {
            return try reply.withUnsafeBytes { bytes throws(JSON.ParseError) in try JSON.parse(bytes, secretKeys: secretKeys) }
        } catch {
            throw .failed(
                AdjoinError(.unknownError, "\(service.displayName) \(operation) at \(endpoint) sent a reply that is not JSON: \(error)"))
        }
    }

    /// The query protocol (EC2, STS): a form-encoded POST, an XML reply.
    func callQuery(
        _ action: String, version: String, parameters: [(String, String)], secretNames: Set<String> = [],
        deadline: Deadline
    ) throws(AWSCallError) -> XMLElement {
        let request = HTTPRequest(
            method: "POST", endpoint: endpoint,
            headers: [
                HTTPHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
            ], body: URIEncoding.formBody([("Action", action), ("Version", version)] + parameters))
        var reply = try send(request, operation: action, errorFormat: .xml, deadline: deadline)
        defer { reply.wipe() }
        do {
            return try XMLElement.parse(reply, secretNames: secretNames)
        } catch {
            throw .failed(
                AdjoinError(.unknownError, "\(service.displayName) \(action) at \(endpoint) sent a reply that is not XML: \(error)"))
        }
    }

    enum ErrorFormat { case json, xml }

    /// Signs and sends `request` until it succeeds, fails for good, or the deadline leaves no room;
    /// returns the 2xx reply's body.
    func send(_ unsigned: HTTPRequest, operation: String, errorFormat: ErrorFormat, deadline: Deadline) throws(AWSCallError) -> [UInt8] {
        let signer = SigV4Signer(service: service.signingName, region: region)
        let what = "\(service.displayName) \(operation) at \(endpoint)"
        var refreshed = false
        var attempt = 0
        while true {
            attempt += 1
            var request = unsigned
            let credentials: AWSCredentials
            do { credentials = try self.credentials.credentials(deadline: deadline) } catch { throw .failed(error) }
            signer.sign(&request, with: credentials, at: UTCTime.now())
            let failure: AdjoinError
            var throttled = false
            do {
                let response = try http.send(request, purpose: what, limits: AttemptLimits(), deadline: deadline)
                if (200..<300).contains(response.status) { return response.body }
                let error =
                    errorFormat == .json
                    ? AWSServiceError(jsonBody: response.body, httpStatus: response.status)
                    : AWSServiceError(xmlBody: response.body, httpStatus: response.status)
                if error.isExpiredToken && !refreshed {
                    refreshed = true
                    self.credentials.invalidate()
                    attempt -= 1
                    continue
                }
                // A quota frees room at its own pace: throttled tries go on for as long as the deadline lets the
                // next pause fit (a boot join gives its settings read minutes), other failures at most `maximumAttempts`.
                guard error.isRetryable, error.isThrottling || attempt < retry.maximumAttempts else {
                    throw AWSCallError.service(error, error.adjoinError(what))
                }
                failure = error.adjoinError(what)
                throttled = error.isThrottling
            } catch let error as TransportError {
                guard error.retryable, attempt < retry.maximumAttempts else { throw .failed(error.error) }
                failure = error.error
            } catch let error as AWSCallError {
                throw error
            } catch {
                throw .failed(AdjoinError(.unknownError, "\(what): \(error)"))
            }
            let pause = retry.backoff(attempt: attempt, throttled: throttled)
            guard pause < deadline.remaining else {
                throw .failed(
                    AdjoinError(
                        failure.status == .unknownError ? .timeout : failure.status,
                        "\(failure.message) (\(attempt) attempts; the time budget leaves no room for another)"))
            }
            retry.sleep(pause)
        }
    }
}

/// A call that failed: `service` when the service answered with an error (the caller may map some
/// codes itself, such as ParameterNotFound), `failed` for everything else.
enum AWSCallError: Error {
    case service(AWSServiceError, AdjoinError)
    case failed(AdjoinError)

    var adjoinError: AdjoinError {
        switch self {
        case .service(_, let error), .failed(let error): error
        }
    }
}

/// Exponential backoff with full jitter (the AWS SDKs' "standard" mode): attempt n waits a random
/// time between 0 and min(cap, base * 2^(n-1)). After a throttling answer the base is
/// `throttlingBase` and the cap `throttlingCap`: a quota (SSM's 40 GetParameter a second, shared by a
/// fleet booting at once) frees room at its own pace, so a herd of N throttled calls needs about N/40
/// seconds to pass. Drawn over 6 s, the 260 calls that 300 instances booting at once have throttled
/// mostly pass on their second try; drawn over 1 s (the SDKs' habit), each went round three or four
/// times, every round a GetParameter against the same quota. A lone throttled call waits 3 s on average.
struct RetryPolicy {
    /// For failures other than throttling, which only the deadline bounds.
    var maximumAttempts = 4
    var base: Duration = .milliseconds(100)
    var cap: Duration = .seconds(5)
    var throttlingBase: Duration = .seconds(6)
    var throttlingCap: Duration = .seconds(30)
    /// Picks the pause in milliseconds up to the given ceiling; tests pin it to learn what the
    /// deadline does without depending on chance.
    var jitter: @Sendable (Int64) -> Int64 = { Int64.random(in: 0...$0) }
    /// Waits out a pause; tests record the pauses instead.
    var sleep: @Sendable (Duration) -> Void = { Backoff.sleep($0) }

    func backoff(attempt: Int, throttled: Bool = false) -> Duration {
        Backoff.pause(afterAttempt: attempt, base: throttled ? throttlingBase : base, cap: throttled ? throttlingCap : cap, jitter: jitter)
    }
}
