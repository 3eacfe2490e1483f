import AdjoinCore

/// Reads the settings parameter's JSON into `AgentSettings`, checking every key; each message names
/// the parameter and the key. The password member is decoded straight into SecretBytes.
public enum SettingsDocument {
    static let secretKeys: Set<String> = ["joinPassword"]
    /// SSM's largest (advanced) parameter value.
    static let maximumSize = 8192

    public static func parse(_ value: SecretBytes, source: String) throws(AdjoinError) -> AgentSettings {
        try parse(members: try object(value, source: source), source: source)
    }

    /// The value's JSON object, its members in order; the password member is already SecretBytes.
    static func object(_ value: SecretBytes, source: String) throws(AdjoinError) -> [(String, JSON)] {
        guard value.count <= maximumSize else {
            throw .invalidInput("\(source): \(value.count) bytes, more than the \(maximumSize) a parameter can hold")
        }
        let document: JSON
        do {
            document = try JSON.parse(value, secretKeys: secretKeys)
        } catch {
            throw .invalidInput("\(source) is not valid JSON: \(error)")
        }
        guard let members = document.members else {
            throw .invalidInput("\(source) must hold a JSON object, not \(document.kind)")
        }
        return members
    }

    /// The modern name of a key given under either name (dnsIP2: domainControllers), nil if unknown.
    static func setting(named key: String) -> String? { SettingsModel.key(named: key)?.rawValue }

    static func parse(members: [(String, JSON)], source: String) throws(AdjoinError) -> AgentSettings {
        let reader = try SettingsReader(members, source: source)
        // Settings that name a broker may hold nothing else: the broker answers with the domain.
        if !reader.has(.domain), try reader.string(.broker) == nil {
            throw .invalidInput("\(source): \"domain\" (the domain's DNS name, legacy \"dnsName\") is required")
        }
        return try reader.settings()
    }
}

/// Levenshtein distance, for "did you mean" on a mistyped key (keys are short).
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased()), b = Array(b.lowercased())
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in stride(from: 1, through: b.count, by: 1) {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
}
