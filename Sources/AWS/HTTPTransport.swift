import AdjoinCore

/// What sends one HTTP request and brings back its answer: libcurl (HTTPClient) in the agent, a
/// scripted transport in unit tests. Everything above it (signing, retries, token renewal) is the
/// same code either way.
package protocol HTTPTransport: AnyObject {
    /// Whatever status came back; throws only when no answer came.
    func send(_ request: HTTPRequest, purpose: String, limits: AttemptLimits, deadline: Deadline) throws(TransportError) -> HTTPResponse
}

extension HTTPClient: HTTPTransport {}
