import AdjoinCore

/// Reads this EC2 instance's id (from instance metadata, in the Agent module). A protocol so that the
/// lifecycle commands, which live below the AWS layer, can ask without knowing how.
public protocol InstanceIDReader {
    func instanceID(deadline: Deadline) throws(AdjoinError) -> String
}

/// Who this host is now, told in the terms of an identity a join recorded: an instance id is asked of
/// instance metadata, a machine-id hash is computed again from /etc/machine-id (under the root).
/// An image made from a joined host carries that host's join record; comparing the two is how every
/// command finds out that it runs on a copy.
public struct CurrentIdentity {
    public let files: HostFiles
    /// nil: the command has no way to ask (a host off EC2); an instance id recorded then cannot be checked.
    let instance: (any InstanceIDReader)?

    public init(files: HostFiles, instance: (any InstanceIDReader)?) {
        self.files = files
        self.instance = instance
    }

    /// This host's identity of the same kind as `recorded`; nil when it cannot be told (an identity
    /// chosen with --owner, or an instance id where nothing can ask metadata).
    public func matching(_ recorded: AccountOwner, deadline: Deadline) throws(AdjoinError) -> AccountOwner? {
        switch recorded.kind {
        case .machine:
            return try AccountOwner.machine(files: files)
        case .instance:
            guard let instance else { return nil }
            do {
                return AccountOwner.instance(try instance.instanceID(deadline: deadline))
            } catch {
                throw AdjoinError(
                    error.status, "cannot tell whether this host is still \(recorded), the instance that joined: \(error.message)")
            }
        case .other:
            return nil
        }
    }

    /// Whether this host is a copy of the one whose join (or interrupted join) `record` is; nil when it is
    /// that host, or the record (written by adjoin 0.1 with a chosen owner) names no identity to compare.
    func copy(of record: JoinRecord, deadline: Deadline) throws(AdjoinError) -> HostCopy? {
        guard !record.identity.isEmpty else { return nil }
        return try copy(of: AccountOwner(record.identity), deadline: deadline)
    }

    /// What makes this host a copy of the one that joined, or nil when it is that host (or it cannot be told).
    public func copy(of recorded: AccountOwner, deadline: Deadline) throws(AdjoinError) -> HostCopy? {
        guard let current = try matching(recorded, deadline: deadline), current != recorded else { return nil }
        return HostCopy(recorded: recorded, current: current)
    }
}

/// A host whose join record belongs to another identity: an image made from a joined host, booted as
/// a new instance (or with a new machine id). Nothing the record names is this host's to change.
public struct HostCopy: Sendable, Equatable {
    /// Whose join the record is.
    public let recorded: AccountOwner
    /// Who this host is.
    public let current: AccountOwner

    public var description: String {
        "this host is \(current), but its join record belongs to \(recorded): it is a copy of a joined host (an image made from it)"
    }
}
