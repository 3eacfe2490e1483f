import AdjoinCore
import AWS
import Join

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

    public func instanceID(deadline: Deadline) throws(AdjoinError) -> String {
        let client: InstanceMetadata
        if let metadata { client = metadata } else { client = try InstanceMetadata(environment: environment) }
        metadata = client
        return try client.identity(deadline: deadline).instanceId
    }
}

/// A command that has read the instance's context already knows its id: no second question.
extension InstanceContext: InstanceIDReader {
    public func instanceID(deadline: Deadline) throws(AdjoinError) -> String { identity.instanceId }
}
