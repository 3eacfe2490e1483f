import AdjoinCore

/// An SSO (IAM Identity Center) profile, as the AWS CLI leaves it after `aws sso login`: the access
/// token from the CLI's cache (~/.aws/sso/cache/<SHA-1 hex of the sso_session name, or of the start URL
/// for a legacy profile>.json), exchanged at the portal's GetRoleCredentials for the role's temporary
/// credentials. adjoin never logs in itself and does not refresh the token: a missing or expired token
/// is ACCESS_DENIED asking for `aws sso login --profile P`.
struct SSOProfile: Sendable, Equatable {
    let profile: String
    let accountId: String
    let roleName: String
    let region: String
    /// The sso_session's name, or nil for a legacy profile (start URL on the profile itself).
    let session: String?
    let startURL: String

    /// The profile's SSO settings, or nil when it names none; INVALID_INPUT when they are incomplete.
    init?(profile: String, settings: [String: String], files: SharedConfigFiles) throws(AdjoinError) {
        let sessionName = settings["sso_session"]
        guard sessionName != nil || settings["sso_start_url"] != nil else { return nil }
        var merged = settings
        if let sessionName {
            guard let session = files.ssoSessions[sessionName] else {
                throw .invalidInput(
                    "profile \(profile) names sso_session \(sessionName), and there is no [sso-session \(sessionName)] section")
            }
            for (key, value) in session where merged[key] == nil || key == "sso_start_url" || key == "sso_region" { merged[key] = value }
        }
        func required(_ key: String) throws(AdjoinError) -> String {
            guard let value = merged[key] else { throw .invalidInput("SSO profile \(profile) has no \(key)") }
            return value
        }
        self.profile = profile
        accountId = try required("sso_account_id")
        roleName = try required("sso_role_name")
        region = try required("sso_region")
        startURL = try required("sso_start_url")
        session = sessionName
    }

    /// The cache file's name: the SHA-1 of the session name, or of the start URL for a legacy profile.
    var cacheFileName: String { SHA1.hash(Array((session ?? startURL).utf8)).hexString + ".json" }

    var login: String { "aws sso login --profile \(profile)" }

    func provider(environment: AWSEnvironment) throws(AdjoinError) -> AWSCredentialProvider {
        guard let home = environment.value("HOME") else {
            throw .invalidInput("SSO profile \(profile): HOME is not set, so the AWS CLI's token cache (~/.aws/sso/cache) cannot be found")
        }
        let cache = home + "/.aws/sso/cache/" + cacheFileName
        let endpoint = try environment.endpoint(for: .sso, region: region)
        let transport = try environment.makeTransport()
        return RefreshingCredentials { (deadline) throws(AdjoinError) in
            try fetch(cache: cache, endpoint: endpoint, transport: transport, deadline: deadline)
        }
    }

    private func fetch(
        cache: String, endpoint: Endpoint, transport: any HTTPTransport, deadline: Deadline
    ) throws(AdjoinError) -> AWSCredentials {
        let token = try cachedToken(cache)
        let label = "the SSO portal at \(endpoint)"
        var request = HTTPRequest(
            method: "GET", endpoint: endpoint, path: "/federation/credentials",
            query: [("account_id", accountId), ("role_name", roleName)])
        request.headers = [HTTPHeader("x-amz-sso_bearer_token", secret: token)]
        let limits = AttemptLimits(
            connectTimeout: .seconds(3), attemptTimeout: .seconds(10), useEnvironmentProxy: true, maximumResponseBytes: 1 << 20)
        var response: HTTPResponse
        do {
            response = try transport.send(request, purpose: label, limits: limits, deadline: deadline)
        } catch {
            throw AdjoinError(error.error.status, "\(error.error.message) (GetRoleCredentials at \(label))")
        }
        defer { response.body.wipe() }
        guard response.status == 200 else {
            let refused = response.status == 401 || response.status == 403
            throw AdjoinError(
                refused ? .accessDenied : .unknownError,
                "\(label) refused GetRoleCredentials for \(roleName) in \(accountId) (HTTP \(response.status))"
                    + (refused ? ": the SSO session has ended or the role is not yours; run `\(login)`" : ""))
        }
        let document = try CredentialDocument.parse(response.body, secretKeys: ["secretAccessKey", "sessionToken"], from: label)
        guard let role = document["roleCredentials"], let keyId = role["accessKeyId"]?.string, !keyId.isEmpty,
            let secret = role["secretAccessKey"]?.secret
        else {
            throw AdjoinError(.unknownError, "the GetRoleCredentials reply from \(label) holds no credentials")
        }
        return AWSCredentials(
            accessKeyId: keyId, secretAccessKey: secret, sessionToken: role["sessionToken"]?.secret,
            expiration: CredentialDocument.expiration(role["expiration"]),
            source: "SSO profile \(profile) (\(roleName) in \(accountId))")
    }

    /// The cached access token, refused when missing or expired.
    private func cachedToken(_ cache: String) throws(AdjoinError) -> SecretBytes {
        guard var bytes = try HostFiles().read(cache) else {
            throw AdjoinError(.accessDenied, "SSO profile \(profile): no token in the AWS CLI's cache (\(cache)); run `\(login)`")
        }
        defer { bytes.wipe() }
        let document = try CredentialDocument.parse(bytes, secretKeys: ["accessToken", "refreshToken", "clientSecret"], from: cache)
        guard let token = document["accessToken"]?.secret, !token.isEmpty, let expiresAt = document["expiresAt"]?.string else {
            throw AdjoinError(
                .accessDenied, "SSO profile \(profile): the cached token (\(cache)) has no accessToken or expiresAt; run `\(login)`")
        }
        // The AWS CLI v1 wrote "2019-11-14T04:05:45UTC"; v2 writes "...Z".
        let normalized = expiresAt.hasSuffix("UTC") ? String(expiresAt.dropLast(3)) + "Z" : expiresAt
        guard let expiry = UTCTime.parse(normalized), expiry.seconds > UTCTime.now().seconds else {
            throw AdjoinError(.accessDenied, "SSO profile \(profile): the SSO session's token expired (\(expiresAt)); run `\(login)`")
        }
        return token
    }
}
