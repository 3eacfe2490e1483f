import AdjoinCore

/// An error reply of an AWS service, read from its body: the JSON protocols' `__type` and `message`,
/// or the query protocol's `<Code>` and `<Message>`.
struct AWSServiceError {
    let code: String
    let message: String?
    let httpStatus: Int

    init(code: String, message: String?, httpStatus: Int) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
    }

    init(jsonBody body: [UInt8], httpStatus: Int) {
        let document = body.withUnsafeBytes { bytes in try? JSON.parse(bytes) }
        // "__type" may be namespaced: "com.amazonaws.ssm#ParameterNotFound"
        let type = document?["__type"]?.string ?? document?["code"]?.string
        code = type.map { String($0.split(separator: "#").last ?? Substring($0)) } ?? "HTTP \(httpStatus)"
        message = document?["message"]?.string ?? document?["Message"]?.string
        self.httpStatus = httpStatus
    }

    init(xmlBody body: [UInt8], httpStatus: Int) {
        let document = try? XMLElement.parse(body)
        code = document?.descendant("Code")?.text ?? "HTTP \(httpStatus)"
        message = document?.descendant("Message")?.text
        self.httpStatus = httpStatus
    }

    /// Worth another attempt: throttling, or the service's own failure.
    var isRetryable: Bool {
        httpStatus >= 500 || AWSServiceError.throttlingCodes.contains(code)
    }

    /// The service's quota refused the call (not its failure): the next try waits longer (RetryPolicy).
    var isThrottling: Bool {
        httpStatus == 429 || AWSServiceError.quotaCodes.contains(code)
    }

    private static let quotaCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException",
        "RequestThrottled", "SlowDown", "EC2ThrottledException",
    ]

    var isExpiredToken: Bool { ["ExpiredToken", "ExpiredTokenException", "RequestExpired"].contains(code) }

    private static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
        "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException", "InternalError", "InternalFailure", "ServiceUnavailable",
    ]

    private static let accessCodes: Set<String> = [
        "AccessDenied", "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
        "SignatureDoesNotMatch", "InvalidClientTokenId", "IncompleteSignature", "MissingAuthenticationToken",
        "MissingAuthenticationTokenException", "AuthFailure", "UnauthorizedOperation", "ExpiredToken",
        "ExpiredTokenException", "RequestExpired", "InvalidAccessKeyId", "KMSAccessDeniedException", "OptInRequired",
    ]

    /// The error a command reports. The service's own message is kept only where it cannot carry a
    /// secret: a signature error's message echoes the canonical request, session token included, so
    /// for access errors only the code is shown.
    func adjoinError(_ operation: String) -> AdjoinError {
        if AWSServiceError.accessCodes.contains(code) || httpStatus == 401 || httpStatus == 403 {
            return AdjoinError(.accessDenied, "\(operation) was refused: \(code) (HTTP \(httpStatus))")
        }
        let detail = message.map { ": " + AWSServiceError.printable($0) } ?? ""
        return AdjoinError(.unknownError, "\(operation) failed: \(code) (HTTP \(httpStatus))\(detail)")
    }

    /// At most 300 characters, without control characters (the text came from the network).
    static func printable(_ text: String) -> String {
        var out = String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
        if out.count > 300 { out = String(out.prefix(300)) + "..." }
        return out
    }
}
