import AdjoinCore

/// What an instance's tags ask of the agent: the opt-out tag (`autoadjoin=false`, any case) and the
/// groups whose members may log in (`adGroupName`) and use sudo (`adSudoGroupName`), under the tag names the settings choose.
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

    /// The group a tag names (who may log in, who may use sudo), checked like --allow-group; nil when
    /// the tag is absent or empty.
    public func group(tag: String) throws(AdjoinError) -> GroupName? {
        guard let text = values[tag]?.trimmingWhitespace, !text.isEmpty else { return nil }
        do {
            return try GroupName(text)
        } catch {
            throw .invalidInput("tag \(tag) (from \(source)): \(error.message)")
        }
    }
}
