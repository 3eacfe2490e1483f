import AdjoinCore

/// What an instance's tags ask of the agent: the opt-out tag (`autoadjoin=false`, any case) and the
/// group whose members may log in (`adGroupName`), under the tag names the settings choose.
public struct InstanceTags: Sendable {
    public let values: [String: String]
    /// Where they were read from, for messages: "instance metadata" or "EC2 DescribeTags".
    public let source: String

    public init(_ values: [String: String], source: String) {
        self.values = values
        self.source = source
    }

    /// Whether the instance opted out. Only the word false does; any other value, or none, joins,
    /// so a typo in the tag cannot silently keep a fleet out of the domain.
    public func optedOut(tag: String) -> Bool {
        values[tag]?.trimmingWhitespace.lowercased() == "false"
    }

    /// The login group the tag names, checked like --allow-group; nil when the tag is absent or empty.
    public func loginGroup(tag: String) throws(AdjoinError) -> GroupName? {
        guard let text = values[tag]?.trimmingWhitespace, !text.isEmpty else { return nil }
        do {
            return try GroupName(text)
        } catch {
            throw .invalidInput("tag \(tag) (from \(source)): \(error.message)")
        }
    }
}
