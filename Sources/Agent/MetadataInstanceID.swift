import AdjoinCore
import AWS
import Membership

/// This instance's id as instance metadata tells it, for the commands that compare it with the
/// identity a join recorded. The client is made at the first question, so a host whose record names
/// no instance id (a join off EC2) never reaches for metadata.
public final class MetadataInstanceID: InstanceIDReader {
    private let environment: AWSEnvironment
    private var metadata: InstanceMetadata?

    /// `metadata`: a client the command already holds, so that its session token serves this too.
    public init(environment: AWSEnvironment = .current(), metadata: InstanceMetadata? = nil) {
        self.environment = environment
        self.metadata = metadata
    }

    /// The metadata client, made at the first question and kept (one session token for every read).
    public func client() throws(AdjoinError) -> InstanceMetadata {
        if let metadata { return metadata }
        let made = try InstanceMetadata(environment: environment)
        metadata = made
        return made
    }

    public func instanceID(deadline: Deadline) throws(AdjoinError) -> String {
        try client().identity(deadline: deadline).instanceId
    }
}

/// A command that has read the instance's context already knows its id: no second question.
extension InstanceContext: InstanceIDReader {
    public func instanceID(deadline: Deadline) throws(AdjoinError) -> String { identity.instanceId }
}
