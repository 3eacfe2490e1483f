import AdjoinCore
import Testing
@testable import AWS

/// One request a scripted transport expects (its method and path), and what comes back: a status and
/// body, or no answer at all.
public struct HTTPStep: CustomStringConvertible {
    public var method: String
    public var path: String
    var answer: Result<HTTPResponse, TransportError>

    public static func answer(_ method: String, _ path: String, status: Int, body: String = "") -> HTTPStep {
        HTTPStep(method: method, path: path, answer: .success(HTTPResponse(status: status, body: Array(body.utf8))))
    }

    /// A connection refused or dropped: worth another attempt.
    public static func noAnswer(_ method: String, _ path: String) -> HTTPStep {
        HTTPStep(
            method: method, path: path, answer: .failure(TransportError(error: .network("connection refused (scripted)"), retryable: true)))
    }

    public var description: String { "\(method) \(path)" }
}

/// An HTTP transport that answers only the requests the test scripted, in order; any other fails the
/// test, naming it. Every request sent is kept, headers included, for the test to look at.
public final class FakeHTTPTransport: HTTPTransport, @unchecked Sendable {
    public let script: CallScript<HTTPStep>
    private let sent = Locked<[HTTPRequest]>([])
    private let sentLimits = Locked<[AttemptLimits]>([])

    public init(_ steps: [HTTPStep]) {
        script = CallScript("the fake HTTP transport", steps)
    }

    public func send(
        _ request: HTTPRequest, purpose: String, limits: AttemptLimits, deadline: Deadline
    ) throws(TransportError) -> HTTPResponse {
        sent.withLock { $0.append(request) }
        sentLimits.withLock { $0.append(limits) }
        let call = "\(request.method) \(request.path)"
        guard let step = script.next(call, matches: { $0.method == request.method && $0.path == request.path }) else {
            throw TransportError(error: AdjoinError(.unknownError, "the fake HTTP transport did not expect \(call)"), retryable: false)
        }
        return try step.answer.get()
    }

    var requests: [HTTPRequest] { sent.withLock { $0 } }

    /// How long each request sent was allowed to wait for its answer.
    public var attemptTimeouts: [Duration] { sentLimits.withLock { $0.map(\.attemptTimeout) } }

    /// The decoded query of each request sent, as "name=value" pairs joined with "&".
    public var queries: [String] { requests.map { $0.query.map { $0.0 + "=" + $0.1 }.joined(separator: "&") } }

    /// The origin (scheme, host, port) each request was sent to.
    public var origins: [String] { requests.map { $0.endpoint.origin } }

    /// The value of header `name` in each request sent (nil where it had none); secret values as text.
    public func header(_ name: String) -> [String?] {
        requests.map { request in
            request.headers.first { $0.name.lowercased() == name.lowercased() }.map { header in
                switch header.value {
                case .text(let text): return text
                case .secret(let secret): return secret.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
                }
            }
        }
    }
}
