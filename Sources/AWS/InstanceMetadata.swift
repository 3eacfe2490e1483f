import AdjoinCore

/// What the instance metadata service says about this instance.
public struct InstanceIdentity: Sendable, Equatable {
    public let instanceId: String
    public let accountId: String
    public let region: String
    public let availabilityZone: String

    public init(instanceId: String, accountId: String, region: String, availabilityZone: String) {
        self.instanceId = instanceId
        self.accountId = accountId
        self.region = region
        self.availabilityZone = availabilityZone
    }
}

/// An IMDSv2 client: a session token first (PUT with a TTL), then reads with it. A token that stops
/// working before its time (401) is replaced once and the read repeated. Short connect timeouts and
/// a few attempts, so that a host that is not on EC2 fails fast with an error that names the endpoint.
public final class InstanceMetadata {
    public let endpoint: Endpoint
    private let http: any HTTPTransport
    private var token: (value: SecretBytes, expires: ContinuousClock.Instant)?
    /// Seconds asked for each token; renewed a minute before that runs out.
    let tokenLifetime = 21_600
    var limits = AttemptLimits(
        connectTimeout: .seconds(1), attemptTimeout: .seconds(2), useEnvironmentProxy: false,
        maximumResponseBytes: 1 << 20)
    var maximumAttempts = 3
    /// Waits out the pause before another attempt; tests record the pauses instead.
    var sleep: @Sendable (Duration) -> Void = { Backoff.sleep($0) }

    public convenience init(endpoint: Endpoint) throws(AdjoinError) {
        try self.init(endpoint: endpoint, transport: HTTPClient())
    }

    init(endpoint: Endpoint, transport: any HTTPTransport) {
        self.endpoint = endpoint
        http = transport
    }

    /// The endpoint from `AWS_EC2_METADATA_SERVICE_ENDPOINT`, else by `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE`
    /// (http://169.254.169.254, or http://[fd00:ec2::254] for IPv6).
    public convenience init(environment: AWSEnvironment = .current()) throws(AdjoinError) {
        self.init(endpoint: try environment.metadataEndpoint(), transport: try environment.makeTransport())
    }

    var label: String { "instance metadata at \(endpoint)" }

    public func identity(deadline: Deadline) throws(AdjoinError) -> InstanceIdentity {
        let path = "/latest/dynamic/instance-identity/document"
        guard let body = try read(path, deadline: deadline) else { throw missing(path) }
        let document = try parseJSON(body, path: path)
        func field(_ name: String) throws(AdjoinError) -> String {
            guard let value = document[name]?.string, !value.isEmpty else {
                throw AdjoinError(.unknownError, "the identity document from \(label) has no \(name)")
            }
            return value
        }
        return InstanceIdentity(
            instanceId: try field("instanceId"), accountId: try field("accountId"),
            region: try field("region"), availabilityZone: try field("availabilityZone"))
    }

    public func hostname(deadline: Deadline) throws(AdjoinError) -> String {
        try requiredText("/latest/meta-data/local-hostname", deadline: deadline)
    }

    public func localIPv4(deadline: Deadline) throws(AdjoinError) -> String {
        try requiredText("/latest/meta-data/local-ipv4", deadline: deadline)
    }

    /// The instance's primary IPv6 address, or nil where its interface has none (404).
    public func ipv6(deadline: Deadline) throws(AdjoinError) -> String? {
        try read("/latest/meta-data/ipv6", deadline: deadline).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The address the instance's peers in the VPC reach it by: its private IPv4, else (an IPv6-only
    /// instance has no `local-ipv4`) its primary IPv6 address.
    public func privateAddress(deadline: Deadline) throws(AdjoinError) -> String {
        if let v4 = try read("/latest/meta-data/local-ipv4", deadline: deadline) { return String(decoding: v4, as: UTF8.self) }
        if let v6 = try ipv6(deadline: deadline) { return v6 }
        throw AdjoinError(.unknownError, "\(label) has neither /latest/meta-data/local-ipv4 nor /latest/meta-data/ipv6")
    }

    /// The instance's tags, or nil when the instance does not expose tags in metadata (404).
    public func tags(deadline: Deadline) throws(AdjoinError) -> [String: String]? {
        guard let listing = try read("/latest/meta-data/tags/instance", deadline: deadline) else { return nil }
        var tags: [String: String] = [:]
        for key in String(decoding: listing, as: UTF8.self).split(separator: "\n") where !key.isEmpty {
            let path = "/latest/meta-data/tags/instance/" + URIEncoding.encodePathSegment(String(key))
            guard let value = try read(path, deadline: deadline, encodedPath: true) else { continue }  // removed meanwhile
            tags[String(key)] = String(decoding: value, as: UTF8.self)
        }
        return tags
    }

    /// The Auto Scaling target lifecycle state (e.g. "InService", "Terminated"), or nil outside a group.
    public func lifecycleState(deadline: Deadline) throws(AdjoinError) -> String? {
        try read("/latest/meta-data/autoscaling/target-lifecycle-state", deadline: deadline).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The spot interruption notice (JSON such as {"action": "terminate", "time": ...}), or nil when none.
    public func spotInstanceAction(deadline: Deadline) throws(AdjoinError) -> String? {
        try read("/latest/meta-data/spot/instance-action", deadline: deadline).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The instance role's name, or nil when the instance has no role.
    public func roleName(deadline: Deadline) throws(AdjoinError) -> String? {
        guard let listing = try read("/latest/meta-data/iam/security-credentials/", deadline: deadline) else { return nil }
        return String(decoding: listing, as: UTF8.self).split(separator: "\n").first.map(String.init)
    }

    /// The instance role's current temporary credentials.
    public func roleCredentials(deadline: Deadline) throws(AdjoinError) -> AWSCredentials {
        guard let role = try roleName(deadline: deadline) else {
            throw AdjoinError(.accessDenied, "no AWS credentials: none in the environment, and \(label) lists no instance role")
        }
        let path = "/latest/meta-data/iam/security-credentials/" + URIEncoding.encodePathSegment(role)
        guard var body = try read(path, deadline: deadline, encodedPath: true) else { throw missing(path) }
        defer { body.wipe() }
        let document = try parseJSON(body, path: path, secretKeys: ["SecretAccessKey", "Token"])
        if let code = document["Code"]?.string, code != "Success" {
            throw AdjoinError(.accessDenied, "\(label) has no credentials for the role \(role): \(AWSServiceError.printable(code))")
        }
        guard let keyId = document["AccessKeyId"]?.string, let secret = document["SecretAccessKey"]?.secret,
            let token = document["Token"]?.secret
        else {
            throw AdjoinError(.unknownError, "the credentials of the role \(role) from \(label) are incomplete")
        }
        let expiration = document["Expiration"]?.string.flatMap(UTCTime.parse)?.seconds
        return AWSCredentials(
            accessKeyId: keyId, secretAccessKey: secret, sessionToken: token, expiration: expiration,
            source: "the instance role \(role)")
    }

    // MARK: - the protocol

    private func requiredText(_ path: String, deadline: Deadline) throws(AdjoinError) -> String {
        guard let body = try read(path, deadline: deadline) else { throw missing(path) }
        return String(decoding: body, as: UTF8.self)
    }

    private func missing(_ path: String) -> AdjoinError {
        AdjoinError(.unknownError, "\(label) has no \(path)")
    }

    private func parseJSON(_ body: [UInt8], path: String, secretKeys: Set<String> = []) throws(AdjoinError) -> JSON {
        do {
            return try body.withUnsafeBytes { bytes throws(JSON.ParseError) in try JSON.parse(bytes, secretKeys: secretKeys) }
        } catch {
            throw AdjoinError(.unknownError, "\(label) sent \(path) that is not JSON: \(error)")
        }
    }

    /// GET with the session token; nil on 404. `encodedPath`: the path is already percent-encoded.
    func read(_ path: String, deadline: Deadline, encodedPath: Bool = false) throws(AdjoinError) -> [UInt8]? {
        var renewedAfterRefusal = false
        while true {
            let session = try sessionToken(deadline: deadline)
            var request = HTTPRequest(
                method: "GET", endpoint: endpoint, path: path,
                headers: [HTTPHeader("X-aws-ec2-metadata-token", secret: session)])
            request.pathIsEncoded = encodedPath
            let response = try exchange(request, what: path, deadline: deadline)
            switch response.status {
            case 200: return response.body
            case 404: return nil
            case 401 where !renewedAfterRefusal:
                // The token stopped working early (the service restarted, or dropped it): one new token.
                token = nil
                renewedAfterRefusal = true
            default:
                throw AdjoinError(
                    response.status == 401 || response.status == 403 ? .accessDenied : .unknownError,
                    "\(label) answered \(path) with HTTP \(response.status)")
            }
        }
    }

    private func sessionToken(deadline: Deadline) throws(AdjoinError) -> SecretBytes {
        if let token, ContinuousClock.now < token.expires { return token.value }
        let requested = ContinuousClock.now
        let request = HTTPRequest(
            method: "PUT", endpoint: endpoint, path: "/latest/api/token",
            headers: [HTTPHeader("X-aws-ec2-metadata-token-ttl-seconds", String(tokenLifetime))])
        var response = try exchange(request, what: "a session token", deadline: deadline)
        defer { response.body.wipe() }
        guard response.status == 200, !response.body.isEmpty else {
            throw AdjoinError(
                response.status == 403 ? .accessDenied : .unknownError,
                "\(label) refused a session token (HTTP \(response.status) to PUT /latest/api/token)")
        }
        let value = SecretBytes(response.body)
        token = (value, requested + .seconds(tokenLifetime - 60))
        return value
    }

    /// One request with retries for dropped connections and 5xx; the error names the endpoint.
    private func exchange(_ request: HTTPRequest, what: String, deadline: Deadline) throws(AdjoinError) -> HTTPResponse {
        var attempt = 0
        while true {
            attempt += 1
            do {
                let response = try http.send(request, purpose: label, limits: limits, deadline: deadline)
                if response.status >= 500 && attempt < maximumAttempts {
                    sleep(min(.milliseconds(100 << attempt), deadline.remaining))
                    continue
                }
                return response
            } catch {
                guard error.retryable, attempt < maximumAttempts, !deadline.isExpired else {
                    if error.error.status == .networkError {
                        throw AdjoinError.network(
                            "\(error.error.message) (reading \(what); \(attempt) attempts). Is this an EC2 instance, "
                                + "with the metadata service enabled? AWS_EC2_METADATA_SERVICE_ENDPOINT overrides the address "
                                + "(AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6 in an IPv6-only subnet)")
                    }
                    throw error.error
                }
            }
        }
    }
}
