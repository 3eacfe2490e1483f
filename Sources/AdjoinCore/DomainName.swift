/// A DNS domain name as given by a user: checked before it goes into a DNS query, an LDAP filter or
/// a config file, and kept in lower case without a trailing dot.
public struct DomainName: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    public init(_ text: String) throws(AdjoinError) {
        var name = text.trimmingWhitespace.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty else { throw .invalidInput("the domain name is empty") }
        guard name.utf8.count <= 253 else { throw .invalidInput("domain name '\(name.prefix(64))...' is longer than 253 characters") }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 1 else { throw .invalidInput("'\(text)' is not a DNS domain name") }
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63,
                label.utf8.allSatisfy({
                    ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
                }),
                !label.hasPrefix("-"), !label.hasSuffix("-")
            else {
                throw .invalidInput("'\(text)' is not a DNS domain name (labels of letters, digits and '-', separated by dots)")
            }
        }
        value = name
    }

    public var description: String { value }
    /// The Kerberos realm of an AD domain: its DNS name in upper case.
    public var realm: String { value.uppercased() }

    /// The DC locator record of MS-ADTS 6.3.6 (any DC of the domain).
    public var dcLocatorName: String { "_ldap._tcp.dc._msdcs.\(value)" }

    /// The same, restricted to one site.
    public func dcLocatorName(site: String) -> String { "_ldap._tcp.\(site)._sites.dc._msdcs.\(value)" }

    /// Whether a name from the wire (a NetLogon reply) is this domain.
    public func matches(_ other: String) -> Bool {
        var candidate = other.lowercased()
        if candidate.hasSuffix(".") { candidate.removeLast() }
        return candidate == value
    }
}
