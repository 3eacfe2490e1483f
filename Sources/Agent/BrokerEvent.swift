import AdjoinCore

/// A Lambda function URL's event (payload format 2.0) as far as the broker reads it, and the response
/// object the URL turns into the HTTP answer. The caller's identity is the one thing taken from the
/// event that matters, and the function URL's IAM authorization put it there after checking the
/// signature; the body's hints (a Region) are checked against EC2, never believed.
public struct BrokerEvent: Sendable {
    public var method: String
    public var path: String
    /// `requestContext.authorizer.iam.userArn`: empty when the URL let an unsigned request through (auth NONE).
    public var callerARN: String
    public var regionHint: String?
    /// The instance's own deadline (ms since 1970): past it the instance no longer waits, so the broker
    /// stops there too rather than preset an account nobody will use (and rate-limit the instance's next try).
    /// It can only shorten the broker's work, never allow anything.
    public var notAfterMilliseconds: Int64?

    public init(_ bytes: [UInt8]) throws(AdjoinError) {
        let event: JSON
        do { event = try JSON.parse(bytes) } catch { throw .invalidInput("the event is not JSON: \(error)") }
        let context = event["requestContext"]
        method = context?["http"]?["method"]?.string ?? ""
        path = event["rawPath"]?.string ?? context?["http"]?["path"]?.string ?? ""
        callerARN = context?["authorizer"]?["iam"]?["userArn"]?.string ?? ""
        guard !method.isEmpty, !path.isEmpty else {
            throw .invalidInput("the event is not a function URL request (no requestContext.http.method or path)")
        }
        regionHint = nil
        notAfterMilliseconds = nil
        guard let text = event["body"]?.string, !text.isEmpty else { return }
        var body = Array(text.utf8)
        if event["isBase64Encoded"]?.bool == true {
            guard let decoded = Base64.decode(text) else { throw .invalidInput("the request's body is not valid base64") }
            body = decoded
        }
        guard body.count <= 4096 else {
            throw .invalidInput("the request's body is larger than a join request's hints (\(body.count) bytes)")
        }
        let hints: JSON
        do { hints = try JSON.parse(body) } catch { throw .invalidInput("the request's body is not JSON: \(error)") }
        guard hints.members != nil else { throw .invalidInput("the request's body must be a JSON object") }
        regionHint = hints["region"]?.string
        notAfterMilliseconds = hints["notAfter"]?.integer
    }

    /// The HTTP status a refusal is answered with.
    public static func httpStatus(_ status: Status) -> Int {
        switch status {
        case .accessDenied, .notAllowed, .notRunning: 403
        case .accountConflict: 409
        case .rateLimited: 429
        case .invalidInput: 400
        case .timeout: 504
        case .networkError, .domainNotFound: 502
        default: 500
        }
    }

    /// The function URL's response object around a JSON body: {statusCode, headers, body}. The body's
    /// bytes go in escaped as a JSON string (they may hold the one-time password: never a String here).
    public static func response(statusCode: Int, body: [UInt8]) -> [UInt8] {
        var bytes = Array(
            "{\"statusCode\":\(statusCode),\"headers\":{\"content-type\":\"application/json\",\"cache-control\":\"no-store\"},\"body\":"
                .utf8)
        body.withUnsafeBytes { JSONBytes.appendQuoted($0, to: &bytes) }
        bytes += Array("}".utf8)
        return bytes
    }

    /// An error's body: {status, message}.
    public static func errorBody(_ status: Status, _ message: String) -> [UInt8] {
        Array(JSON.object([("status", .string(status.rawValue)), ("message", .string(message))]).serialized().utf8)
    }

    /// A refusal's body: {status, message}, and retryAfterSeconds when it says when to ask again (RATE_LIMITED).
    public static func errorBody(_ error: AdjoinError) -> [UInt8] {
        var members: [(String, JSON)] = [("status", .string(error.status.rawValue)), ("message", .string(error.message))]
        if let after = error.retryAfter { members.append(("retryAfterSeconds", .number(max(1, after.components.seconds)))) }
        return Array(JSON.object(members).serialized().utf8)
    }
}

/// RFC 4648 base64 (the function URL's encoding of a body it calls binary).
enum Base64 {
    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        for byte in text.utf8 where byte != UInt8(ascii: "=") && byte != 10 && byte != 13 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(byte - 65)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(byte - 97 + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(byte - 48 + 52)
            case UInt8(ascii: "+"), UInt8(ascii: "-"): values.append(62)
            case UInt8(ascii: "/"), UInt8(ascii: "_"): values.append(63)
            default: return nil
            }
        }
        guard values.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        var index = 0
        while index < values.count {
            let chunk =
                Array(values[index..<min(index + 4, values.count)]) + [UInt8](repeating: 0, count: max(0, 4 - (values.count - index)))
            let n = (UInt32(chunk[0]) << 18) | (UInt32(chunk[1]) << 12) | (UInt32(chunk[2]) << 6) | UInt32(chunk[3])
            let produced = min(3, values.count - index - 1)
            for shift in [16, 8, 0].prefix(produced) { out.append(UInt8((n >> UInt32(shift)) & 0xFF)) }
            index += 4
        }
        return out
    }
}
