import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif

/// The AWS settings of the process's environment, read as the AWS SDKs read them:
/// `AWS_REGION` (then `AWS_DEFAULT_REGION`), `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/
/// `AWS_SESSION_TOKEN`, `AWS_ENDPOINT_URL_<SERVICE>` then `AWS_ENDPOINT_URL`, `AWS_USE_DUALSTACK_ENDPOINT`,
/// `AWS_EC2_METADATA_SERVICE_ENDPOINT` and `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE`; and for the admin commands' chain (AdminCredentialChain) the shared
/// files' and container variables, with `HOME` (where ~/.aws is) and `PATH` (where `credential_process` is found).
public struct AWSEnvironment: Sendable {
    private let variables: [String: String]
    /// What the AWS clients and instance metadata send their requests through, one per client: libcurl,
    /// unless a test hands the run a scripted transport.
    package var makeTransport: @Sendable () throws(AdjoinError) -> any HTTPTransport = { () throws(AdjoinError) in try HTTPClient() }

    /// The variables given (tests); `current()` reads the process's.
    public init(variables: [String: String]) {
        self.variables = variables.filter { !$0.value.isEmpty }
    }

    public static func current() -> AWSEnvironment {
        var entries: [String] = []
        var entry = environ
        while let pointer = entry.pointee {
            entries.append(String(cString: pointer))
            entry += 1
        }
        return AWSEnvironment(entries: entries)
    }

    /// From environ's "NAME=value" entries: the AWS_ variables (and the broker's ADJOIN_BROKER_ ones, set by its stack).
    init(entries: [String]) {
        var variables: [String: String] = [:]
        for text in entries
        where text.hasPrefix("AWS_") || text.hasPrefix("ADJOIN_BROKER_") || text.hasPrefix("HOME=") || text.hasPrefix("PATH=") {
            guard let equals = text.firstIndex(of: "=") else { continue }
            variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        self.init(variables: variables)
    }

    /// One variable's value (empty counts as unset).
    public func value(_ name: String) -> String? { variables[name] }

    /// The region the environment names, if any (else the caller takes the identity document's).
    public var region: String? { variables["AWS_REGION"] ?? variables["AWS_DEFAULT_REGION"] }

    /// The instance metadata endpoint, as the SDKs choose it: `AWS_EC2_METADATA_SERVICE_ENDPOINT` (an IPv6
    /// address in brackets, `http://[fd00:ec2::254]`), else by `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE`: `IPv4`
    /// (the default) is http://169.254.169.254, `IPv6` is http://[fd00:ec2::254], the only address metadata has in an
    /// IPv6-only subnet. Another mode is INVALID_INPUT.
    public func metadataEndpoint() throws(AdjoinError) -> Endpoint {
        if let url = variables["AWS_EC2_METADATA_SERVICE_ENDPOINT"] {
            return try Endpoint(parsing: url, source: "AWS_EC2_METADATA_SERVICE_ENDPOINT")
        }
        switch try metadataEndpointMode() {
        case .ipv4: return try Endpoint(parsing: "http://169.254.169.254", source: "the IPv4 metadata address")
        case .ipv6: return try Endpoint(parsing: "http://[fd00:ec2::254]", source: "the IPv6 metadata address")
        }
    }

    /// `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE`, compared without case as the SDKs do; unset is IPv4.
    public func metadataEndpointMode() throws(AdjoinError) -> MetadataEndpointMode {
        guard let text = variables["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"] else { return .ipv4 }
        switch text.lowercased() {
        case "ipv4": return .ipv4
        case "ipv6": return .ipv6
        default:
            throw .invalidInput("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE is '\(text)': it must be IPv4 or IPv6")
        }
    }

    /// Whether the AWS APIs are reached on their dual-stack (IPv4 and IPv6) host names:
    /// `AWS_USE_DUALSTACK_ENDPOINT` (`true` or `false`) when set; otherwise yes when instance metadata is reached
    /// over IPv6 (an IPv6-only subnet has no route to the IPv4-only names, and the dual-stack names work in any subnet).
    public func usesDualStackEndpoints() throws(AdjoinError) -> Bool {
        if let text = variables["AWS_USE_DUALSTACK_ENDPOINT"] {
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default: throw .invalidInput("AWS_USE_DUALSTACK_ENDPOINT is '\(text)': it must be true or false")
            }
        }
        return try metadataEndpoint().isIPv6Literal
    }

    /// Where to reach `service` in `region`: `AWS_ENDPOINT_URL_<SERVICE ID>` (the service id upper-cased,
    /// spaces as underscores), else `AWS_ENDPOINT_URL`, else the service's public regional endpoint: its
    /// dual-stack name (`ssm.eu-west-1.api.aws`) where `usesDualStackEndpoints()`, else its IPv4 one.
    public func endpoint(for service: AWSService, region: String) throws(AdjoinError) -> Endpoint {
        let specific = "AWS_ENDPOINT_URL_" + service.serviceId.uppercased().replacingSpaces()
        if let url = variables[specific] { return try Endpoint(parsing: url, source: specific) }
        if let url = variables["AWS_ENDPOINT_URL"] { return try Endpoint(parsing: url, source: "AWS_ENDPOINT_URL") }
        let china = region.hasPrefix("cn-")
        let suffix: String
        if try usesDualStackEndpoints() {
            // The SDKs' partition table: dual-stack names live under api.aws (api.amazonwebservices.com.cn in China).
            suffix = china ? "api.amazonwebservices.com.cn" : "api.aws"
        } else {
            suffix = china ? "amazonaws.com.cn" : "amazonaws.com"
        }
        return try Endpoint(parsing: "https://\(service.endpointPrefix).\(region).\(suffix)", source: "the region \(region)")
    }

    /// Credentials from `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`), or
    /// nil when the pair is not set. One without the other is INVALID_INPUT, as the SDKs refuse it.
    public func credentials() throws(AdjoinError) -> AWSCredentials? {
        let keyId = variables["AWS_ACCESS_KEY_ID"]
        let secret = variables["AWS_SECRET_ACCESS_KEY"]
        switch (keyId, secret) {
        case (nil, nil): return nil
        case (let keyId?, let secret?):
            return AWSCredentials(
                accessKeyId: keyId, secretAccessKey: SecretBytes(Array(secret.utf8)),
                sessionToken: variables["AWS_SESSION_TOKEN"].map { SecretBytes(Array($0.utf8)) },
                source: "the environment (AWS_ACCESS_KEY_ID)")
        default:
            throw .invalidInput("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together")
        }
    }
}

/// Which address instance metadata is asked at when no endpoint is given.
public enum MetadataEndpointMode: Sendable, Equatable {
    case ipv4, ipv6
}

/// The services the agent calls: their SDK service id (for `AWS_ENDPOINT_URL_<ID>`), endpoint prefix
/// and SigV4 signing name.
public struct AWSService: Sendable, Equatable {
    public let serviceId: String
    public let endpointPrefix: String
    public let signingName: String
    /// How people name it in messages.
    public let displayName: String

    public static let ssm = AWSService(serviceId: "SSM", endpointPrefix: "ssm", signingName: "ssm", displayName: "SSM")
    public static let ec2 = AWSService(serviceId: "EC2", endpointPrefix: "ec2", signingName: "ec2", displayName: "EC2")
    public static let sts = AWSService(serviceId: "STS", endpointPrefix: "sts", signingName: "sts", displayName: "STS")
    /// The IAM Identity Center portal (GetRoleCredentials): `AWS_ENDPOINT_URL_SSO`, else portal.sso.REGION.amazonaws.com.
    public static let sso = AWSService(
        serviceId: "SSO", endpointPrefix: "portal.sso", signingName: "awsssoportal", displayName: "the SSO portal")
    /// Lambda function URLs (the join broker): signed as `lambda`; the URL is the broker's, never derived.
    public static let lambda = AWSService(serviceId: "Lambda", endpointPrefix: "lambda", signingName: "lambda", displayName: "the broker")
    public static let dynamoDB = AWSService(
        serviceId: "DynamoDB", endpointPrefix: "dynamodb", signingName: "dynamodb", displayName: "DynamoDB")
}

extension String {
    fileprivate func replacingSpaces() -> String { String(map { $0 == " " ? "_" : $0 }) }
}
