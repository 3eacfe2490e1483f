import AdjoinCore
internal import CCurl
internal import CCurlShim
#if canImport(Glibc)
    import Glibc
#endif

/// One HTTP request as the AWS clients build it: the URL already holds the canonical query, and the
/// headers are the ones that were signed (plus curl's own, which are not).
package struct HTTPRequest {
    var method: String
    var endpoint: Endpoint
    var path: String = "/"
    /// Decoded name/value pairs; encoded (RFC 3986) and in this order on the wire.
    var query: [(String, String)] = []
    var headers: [HTTPHeader] = []
    var body: [UInt8] = []
    /// The path is already percent-encoded (instance metadata's tag keys); AWS requests leave this false.
    var pathIsEncoded = false

    var url: String {
        let encoded = query.map { URIEncoding.encode($0.0) + "=" + URIEncoding.encode($0.1) }.joined(separator: "&")
        return endpoint.origin + (pathIsEncoded ? fullPath : URIEncoding.encodePath(fullPath)) + (encoded.isEmpty ? "" : "?" + encoded)
    }

    /// The endpoint's own path (usually none) and then the request's.
    var fullPath: String { endpoint.basePath + (path.hasPrefix("/") ? path : "/" + path) }
}

/// A header whose value may be secret (the session token): secret values are only lent to libcurl.
package struct HTTPHeader {
    enum Value {
        case text(String)
        case secret(SecretBytes)
    }

    var name: String
    var value: Value

    init(_ name: String, _ value: String) {
        self.name = name
        self.value = .text(value)
    }

    init(_ name: String, secret: SecretBytes) {
        self.name = name
        self.value = .secret(secret)
    }
}

package struct HTTPResponse {
    var status: Int
    var body: [UInt8]
}

/// A failure to get any HTTP answer. `retryable` is true for what another attempt may cure
/// (refused or reset connections, the per-attempt time limit); never once the deadline is spent.
package struct TransportError: Error {
    var error: AdjoinError
    var retryable: Bool
}

/// Limits of one attempt, under the command's deadline.
package struct AttemptLimits {
    var connectTimeout: Duration = .seconds(3)
    var attemptTimeout: Duration = .seconds(10)
    /// Instance metadata is link-local: a proxy from the environment must never see it.
    var useEnvironmentProxy = true
    var maximumResponseBytes = 4 << 20
}

/// Owner of one libcurl easy handle. Kept per client so that connections are reused between
/// requests to the same endpoint; not shared between threads.
final class HTTPClient {
    private let handle: UnsafeMutableRawPointer
    /// Bytes are added as libcurl hands them over; libcurl points at this object during a transfer.
    private final class Sink {
        var bytes: [UInt8] = []
        var limit: Int
        var overflowed = false
        init(limit: Int) { self.limit = limit }
    }

    init() throws(AdjoinError) {
        var reason: UnsafePointer<CChar>? = nil
        guard adjoin_curl_load(&reason) == CURLE_OK else {
            throw AdjoinError(
                .unknownError,
                "cannot use libcurl (install the distribution's libcurl package): "
                    + (reason.map { String(cString: $0) } ?? "unknown reason"))
        }
        guard let handle = adjoin_curl_easy_init() else { throw AdjoinError(.unknownError, "libcurl could not create a handle") }
        self.handle = handle
    }

    deinit { adjoin_curl_easy_cleanup(handle) }

    /// `AWS_CA_BUNDLE`, as the AWS CLI and SDKs read it: the certificate authorities that HTTPS answers are checked
    /// against, in place of the ones libcurl was built to look for. Needed where libcurl comes from another
    /// distribution than the certificates: the broker's Lambda bundle carries Debian's libcurl, which looks for
    /// /etc/ssl/certs/ca-certificates.crt, and Lambda's Amazon Linux keeps them elsewhere (its bootstrap sets this).
    /// Read once from the process's environment: a path, not a secret.
    private static let caBundle: String? = getenv("AWS_CA_BUNDLE").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }

    /// Sends `request` and returns whatever status came back; throws only when no answer came.
    /// `purpose` names what is being reached in errors, e.g. "instance metadata at http://169.254.169.254".
    func send(
        _ request: HTTPRequest, purpose: String, limits: AttemptLimits = AttemptLimits(),
        deadline: Deadline
    ) throws(TransportError) -> HTTPResponse {
        guard !deadline.isExpired else {
            throw TransportError(error: .timeout("the time budget ran out before reaching \(purpose)"), retryable: false)
        }
        let total = min(deadline.remaining, limits.attemptTimeout)
        let connect = min(total, limits.connectTimeout)
        adjoin_curl_easy_reset(handle)
        let sink = Sink(limit: limits.maximumResponseBytes)
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { adjoin_curl_slist_free_wiped(headerList) }
        for header in request.headers {
            headerList = HTTPClient.append(header, to: headerList)
        }
        // libcurl would otherwise add "Expect: 100-continue" to larger bodies, and an Accept.
        headerList = adjoin_curl_slist_append(headerList, "Expect:")
        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errors in
            request.body.withUnsafeBufferPointer { body in
                let context = Unmanaged.passUnretained(sink).toOpaque()
                var setup = CURLE_OK
                func set(_ result: CURLcode) { if setup == CURLE_OK { setup = result } }
                set(adjoin_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, errors.baseAddress))
                set(adjoin_curl_set_string(handle, CURLOPT_URL, request.url))
                set(adjoin_curl_allow_http_only(handle))
                if let caBundle = Self.caBundle { set(adjoin_curl_set_string(handle, CURLOPT_CAINFO, caBundle)) }
                set(adjoin_curl_set_long(handle, CURLOPT_NOSIGNAL, 1))
                set(adjoin_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, max(1, Int(connect.milliseconds))))
                set(adjoin_curl_set_long(handle, CURLOPT_TIMEOUT_MS, max(1, Int(total.milliseconds))))
                if !limits.useEnvironmentProxy { set(adjoin_curl_set_string(handle, CURLOPT_PROXY, "")) }
                set(adjoin_curl_set_pointer(handle, CURLOPT_HTTPHEADER, headerList))
                set(
                    adjoin_curl_set_sink(
                        handle,
                        { data, size, count, context in
                            let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
                            let length = size * count
                            guard sink.bytes.count + length <= sink.limit else {
                                sink.overflowed = true
                                return 0
                            }
                            if let data {
                                sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
                            }
                            return length
                        }, context))
                switch request.method {
                case "GET": set(adjoin_curl_set_long(handle, CURLOPT_HTTPGET, 1))
                default:
                    // The body is lent: libcurl reads it during perform, which returns before this closure does.
                    set(adjoin_curl_set_size(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
                    set(adjoin_curl_set_pointer(handle, CURLOPT_POSTFIELDS, body.baseAddress ?? UnsafePointer(bitPattern: 1)))
                    if request.method != "POST" { set(adjoin_curl_set_string(handle, CURLOPT_CUSTOMREQUEST, request.method)) }
                }
                guard setup == CURLE_OK else { return setup }
                let result = adjoin_curl_easy_perform(handle)
                // The buffer lives only for this call; the handle must not keep pointing at it.
                _ = adjoin_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, nil)
                return result
            }
        }
        if sink.overflowed {
            sink.bytes.wipe()
            throw TransportError(
                error: .network("\(purpose) sent a reply larger than \(limits.maximumResponseBytes) bytes"), retryable: false)
        }
        guard code == CURLE_OK else {
            sink.bytes.wipe()
            let message = errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            let detail = message.isEmpty ? String(cString: adjoin_curl_easy_strerror(code)) : String(decoding: message, as: UTF8.self)
            // libcurl's timers count whole milliseconds and may fire a moment before the deadline does;
            // a time-out with the budget all but spent is the budget's, not the peer's.
            if deadline.isExpired || (code == CURLE_OPERATION_TIMEDOUT && deadline.remaining < .milliseconds(20)) {
                throw TransportError(error: .timeout("the time budget ran out waiting for \(purpose)"), retryable: false)
            }
            throw TransportError(error: .network("cannot reach \(purpose): \(detail)"), retryable: true)
        }
        var status = 0
        _ = adjoin_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, body: sink.bytes)
    }

    private static func append(_ header: HTTPHeader, to list: UnsafeMutablePointer<curl_slist>?) -> UnsafeMutablePointer<curl_slist>? {
        switch header.value {
        case .text(let value):
            return adjoin_curl_slist_append(list, "\(header.name): \(value)")
        case .secret(let value):
            // Built in a buffer that is wiped at once; libcurl keeps its own copy, wiped on free.
            var line = Array((header.name + ": ").utf8)
            value.withUnsafeBytes { line.append(contentsOf: $0) }
            line.append(0)
            defer { line.wipe() }
            return line.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { adjoin_curl_slist_append(list, $0.baseAddress) }
            }
        }
    }
}
