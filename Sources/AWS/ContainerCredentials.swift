import AdjoinCore

/// The container credentials endpoint of ECS, EKS Pod Identity, Fargate and CodeBuild, as the SDKs
/// use it: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` is a path on http://169.254.170.2;
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI` is a whole URL, taken only over https or to a loopback address
/// or the ECS and EKS link-local hosts (so that the variable cannot send the token elsewhere in clear).
/// The `Authorization` header is the content of `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (re-read on
/// every fetch: EKS rotates it), else `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
enum ContainerCredentials {
    static let ecsHost = "169.254.170.2"
    /// Link-local hosts a full URI may name over http (ECS, and EKS Pod Identity's IPv4 and IPv6 agents).
    static let linkLocalHosts: Set<String> = ["169.254.170.2", "169.254.170.23", "[fd00:ec2::23]"]

    /// Whether the environment names a container endpoint.
    static func configured(_ environment: AWSEnvironment) -> Bool {
        environment.value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != nil || environment.value("AWS_CONTAINER_CREDENTIALS_FULL_URI") != nil
    }

    /// The endpoint and path to ask, checked as the SDKs check it.
    static func location(_ environment: AWSEnvironment) throws(AdjoinError) -> (endpoint: Endpoint, path: String) {
        if let relative = environment.value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            return (
                try Endpoint(parsing: "http://" + ecsHost, source: "the ECS endpoint"), relative.hasPrefix("/") ? relative : "/" + relative
            )
        }
        guard let full = environment.value("AWS_CONTAINER_CREDENTIALS_FULL_URI") else {
            throw .invalidInput(
                "no container credentials endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or AWS_CONTAINER_CREDENTIALS_FULL_URI")
        }
        let endpoint = try Endpoint(parsing: full, source: "AWS_CONTAINER_CREDENTIALS_FULL_URI")
        guard endpoint.scheme == "https" || isLoopback(endpoint.host) || linkLocalHosts.contains(endpoint.host.lowercased()) else {
            throw .invalidInput(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to a loopback address or the ECS or EKS "
                    + "link-local host; it names \(endpoint.host)")
        }
        // The path and query of the URL as given: Endpoint keeps the path; a query is not expected here.
        return (
            try Endpoint(parsing: endpoint.origin, source: "AWS_CONTAINER_CREDENTIALS_FULL_URI"),
            endpoint.basePath.isEmpty ? "/" : endpoint.basePath
        )
    }

    /// 127.0.0.0/8, ::1 and localhost, as the SDKs allow (they resolve a name; adjoin takes these literally).
    static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered == "[::1]" { return true }
        let parts = lowered.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    static func provider(environment: AWSEnvironment) throws(AdjoinError) -> AWSCredentialProvider {
        let (endpoint, path) = try location(environment)
        let transport = try environment.makeTransport()
        return RefreshingCredentials { (deadline) throws(AdjoinError) in
            try fetch(endpoint: endpoint, path: path, environment: environment, transport: transport, deadline: deadline)
        }
    }

    private static func authorization(_ environment: AWSEnvironment) throws(AdjoinError) -> SecretBytes? {
        if let file = environment.value("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
            guard var bytes = try HostFiles().read(SharedConfigFiles.expandHome(file, home: environment.value("HOME"))) else {
                throw .invalidInput("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE names \(file), which does not exist")
            }
            defer { bytes.wipe() }
            while let last = bytes.last, last == 0x0A || last == 0x0D || last == 0x20 { bytes.removeLast() }
            return SecretBytes(bytes)
        }
        return environment.value("AWS_CONTAINER_AUTHORIZATION_TOKEN").map { SecretBytes(Array($0.utf8)) }
    }

    private static func fetch(
        endpoint: Endpoint, path: String, environment: AWSEnvironment, transport: any HTTPTransport,
        deadline: Deadline
    ) throws(AdjoinError) -> AWSCredentials {
        let label = "the container credentials endpoint \(endpoint)"
        var request = HTTPRequest(method: "GET", endpoint: endpoint, path: path)
        if let token = try authorization(environment) { request.headers.append(HTTPHeader("Authorization", secret: token)) }
        let limits = AttemptLimits(
            connectTimeout: .seconds(2), attemptTimeout: .seconds(5), useEnvironmentProxy: false, maximumResponseBytes: 1 << 20)
        var response: HTTPResponse
        do {
            response = try transport.send(request, purpose: label, limits: limits, deadline: deadline)
        } catch {
            throw AdjoinError(error.error.status, "\(error.error.message) (reading credentials from \(label))")
        }
        defer { response.body.wipe() }
        guard response.status == 200 else {
            throw AdjoinError(
                response.status == 401 || response.status == 403 ? .accessDenied : .unknownError,
                "\(label) answered HTTP \(response.status)"
                    + (response.status == 401 || response.status == 403 ? " (check AWS_CONTAINER_AUTHORIZATION_TOKEN or _FILE)" : ""))
        }
        let document = try CredentialDocument.parse(response.body, secretKeys: ["SecretAccessKey", "Token"], from: label)
        guard let keyId = document["AccessKeyId"]?.string, !keyId.isEmpty, let secret = document["SecretAccessKey"]?.secret else {
            throw AdjoinError(.unknownError, "the credentials from \(label) are incomplete")
        }
        return AWSCredentials(
            accessKeyId: keyId, secretAccessKey: secret, sessionToken: document["Token"]?.secret,
            expiration: CredentialDocument.expiration(document["Expiration"]), source: label)
    }
}
