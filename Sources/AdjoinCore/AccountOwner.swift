/// Who owns a computer account: recorded on the object in its `info` attribute (ADUC shows it as
/// "Notes") as `adjoin-owner: <identity>`. On EC2 the identity is the instance id; elsewhere it is
/// `machine:` and 16 hex digits of SHA-256 over /etc/machine-id (hashed, as systemd asks of
/// applications, so the machine id itself is not published in the directory).
public struct AccountOwner: Sendable, Equatable, CustomStringConvertible {
    public let value: String
    /// An instance's AWS account and Region, recorded after the id (see OwnerLocation); not part of
    /// who the owner is: markers written before it existed name the same owner without it.
    public var location: OwnerLocation? = nil
    public static let attribute = "info"
    package static let prefix = "adjoin-owner: "
    static let machinePrefix = "machine:"

    /// What an identity is made from, so that the host's current one can be told in the same terms.
    public enum Kind: Sendable, Equatable {
        /// An EC2 instance id (`i-` and 8 or 17 hex digits): asked of instance metadata.
        case instance
        /// The hash of /etc/machine-id.
        case machine
        /// Anything else (`--owner` chose it): no way to tell whether this host is still that one.
        case other
    }

    public init(_ value: String) { self.value = value }

    public var description: String { value }
    public var recorded: String { AccountOwner.prefix + value + (location.map { " " + $0.recorded } ?? "") }

    public var kind: Kind {
        if value.hasPrefix(AccountOwner.machinePrefix) { return .machine }
        if AccountOwner.isInstanceID(value) { return .instance }
        return .other
    }

    public static func instance(_ instanceId: String) -> AccountOwner { AccountOwner(instanceId) }

    /// EC2's form: `i-` and 8 (older instances) or 17 lower-case hex digits.
    public static func isInstanceID(_ text: String) -> Bool {
        guard text.hasPrefix("i-") else { return false }
        let digits = text.utf8.dropFirst(2)
        return (digits.count == 8 || digits.count == 17) && digits.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// An instance with its account and Region, for the marker `sweep` reads.
    public static func instance(_ instanceId: String, accountId: String, region: String) -> AccountOwner {
        var identity = AccountOwner(instanceId)
        identity.location = OwnerLocation(accountId: accountId, region: region)
        return identity
    }

    /// The same owner, whether or not either side recorded its location.
    public static func == (left: AccountOwner, right: AccountOwner) -> Bool { left.value == right.value }

    /// From the root's /etc/machine-id, else the running host's (an image being built under --root
    /// usually has an empty one).
    public static func machine(files: HostFiles) throws(AdjoinError) -> AccountOwner {
        let candidates = [try files.read("/etc/machine-id"), try HostFiles().read("/etc/machine-id")]
        guard let id = candidates.lazy.compactMap({ $0?.filter { $0 > 0x20 } }).first(where: { $0.count >= 16 }) else {
            throw .invalidInput("no /etc/machine-id to identify this host as the account's owner; give --owner")
        }
        return AccountOwner(machinePrefix + Array(SHA256.hash(Array("adjoin".utf8) + id).prefix(8)).hexString)
    }

    /// The owner recorded in an `info` value, if adjoin wrote it.
    public static func parse(recorded values: [String]) -> AccountOwner? {
        for value in values where value.hasPrefix(prefix) {
            // The id is the first word; a location may follow it (older markers have none).
            let words = value.dropFirst(prefix.count).split(separator: " ")
            var identity = AccountOwner(String(words.first ?? ""))
            identity.location = OwnerLocation.parse(words: Array(words.dropFirst()))
            return identity
        }
        return nil
    }
}
