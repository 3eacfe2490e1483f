import AdjoinCore

/// Temporary credentials from one source (a process, the container endpoint, the SSO portal), fetched
/// when first needed and again when less than five minutes remain or a service said they expired, as
/// the instance role's and an assumed role's are. Credentials without an expiration are kept.
final class RefreshingCredentials: AWSCredentialProvider {
    private let fetch: (Deadline) throws(AdjoinError) -> AWSCredentials
    private var cached: AWSCredentials?
    let refreshMargin: Int64 = 300

    init(fetch: @escaping (Deadline) throws(AdjoinError) -> AWSCredentials) {
        self.fetch = fetch
    }

    func credentials(deadline: Deadline) throws(AdjoinError) -> AWSCredentials {
        if let cached, (cached.expiration ?? Int64.max) - UTCTime.now().seconds >= refreshMargin { return cached }
        let fresh = try fetch(deadline)
        cached = fresh
        return fresh
    }

    func invalidate() { cached = nil }
}

/// The JSON documents the sources answer with, parsed with the secret members straight into SecretBytes.
enum CredentialDocument {
    static func parse(_ body: [UInt8], secretKeys: Set<String>, from label: String) throws(AdjoinError) -> JSON {
        do {
            return try body.withUnsafeBytes { bytes throws(JSON.ParseError) in try JSON.parse(bytes, secretKeys: secretKeys) }
        } catch {
            throw AdjoinError(.unknownError, "\(label) answered with something that is not JSON: \(error)")
        }
    }

    /// Expiration as ISO 8601 text (process, container) or milliseconds since 1970 (the SSO portal).
    static func expiration(_ value: JSON?) -> Int64? {
        if let text = value?.string { return UTCTime.parse(text)?.seconds }
        if let milliseconds = value?.integer { return milliseconds / 1000 }
        return nil
    }
}
