import AdjoinCore

/// The instance's call to the join broker: `POST <url>/join`, signed with SigV4 for the `lambda` service
/// in the URL's Region (a function URL's host is ID.lambda-url.REGION.on.aws; any other host, such as a
/// test's stand-in, takes the instance's Region) with the instance role's credentials. The function URL's
/// IAM authorization checks the signature and names the caller to the broker; the body carries hints only.
/// A connection that fails and the URL's 502/503 are tried again within the deadline; any other answer,
/// refusals included, is the caller's to read. The answer is waited for as long as the deadline allows, and
/// a request whose answer is late is never sent again: the broker may be presetting the account for it, and a
/// second request would be refused (RATE_LIMITED) while the first one's one-time password is lost.
public final class BrokerClient {
    public let endpoint: Endpoint
    public let region: String
    private let credentials: AWSCredentialProvider
    private let http: any HTTPTransport
    var retry = RetryPolicy()

    public init(url: String, region: String, credentials: AWSCredentialProvider, environment: AWSEnvironment) throws(AdjoinError) {
        endpoint = try Endpoint(parsing: url, source: "the broker URL")
        self.region = BrokerClient.region(ofHost: endpoint.host) ?? region
        self.credentials = credentials
        http = try environment.makeTransport()
    }

    /// REGION in ID.lambda-url.REGION.on.aws.
    static func region(ofHost host: String) -> String? {
        let labels = host.lowercased().split(separator: ".")
        guard let index = labels.firstIndex(of: "lambda-url"), index + 1 < labels.count else { return nil }
        return String(labels[index + 1])
    }

    /// The HTTP status and body of the broker's answer; the caller wipes the body (it may hold the one-time password).
    public func join(hints: JSON, deadline: Deadline) throws(AdjoinError) -> (status: Int, body: [UInt8]) {
        let signer = SigV4Signer(service: AWSService.lambda.signingName, region: region)
        let unsigned = HTTPRequest(
            method: "POST", endpoint: endpoint, path: "/join", headers: [HTTPHeader("Content-Type", "application/json")],
            body: Array(hints.serialized().utf8))
        let what = "the broker at \(endpoint)"
        var attempt = 0
        var refreshed = false
        while true {
            attempt += 1
            var request = unsigned
            signer.sign(&request, with: try credentials.credentials(deadline: deadline), at: UTCTime.now())
            let failure: AdjoinError
            do {
                let response = try http.send(
                    request, purpose: what, limits: AttemptLimits(attemptTimeout: deadline.remaining), deadline: deadline)
                if response.status == 403, !refreshed, AWSServiceError(jsonBody: response.body, httpStatus: response.status).isExpiredToken
                {
                    refreshed = true
                    credentials.invalidate()
                    attempt -= 1
                    continue
                }
                guard [502, 503].contains(response.status), attempt < retry.maximumAttempts else { return (response.status, response.body) }
                failure = AdjoinError(.networkError, "\(what) answered HTTP \(response.status)")
            } catch {
                guard error.retryable, attempt < retry.maximumAttempts else { throw error.error }
                failure = error.error
            }
            let pause = retry.backoff(attempt: attempt)
            guard pause < deadline.remaining else { throw failure }
            retry.sleep(pause)
        }
    }
}
