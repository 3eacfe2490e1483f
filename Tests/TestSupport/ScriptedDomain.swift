import LDAP

/// The domain unit tests' scripted directories answer for: corp.example.com, its computers container, and
/// the account WEB1 gets there.
public enum ScriptedDomain {
    public static let base = "DC=corp,DC=example,DC=com"
    public static let computers = "CN=Computers," + base
    public static let web1 = "CN=WEB1," + computers
    /// The well-known GUID form of the computers container, as the join looks it up when no OU is given.
    public static let wellKnownComputers = "<WKGUID=AA312825768811D1ADED00C04FD8D5CD,\(base)>"
}

extension LDAPEntry {
    /// An entry as a search returns it, from text values.
    public static func scripted(_ dn: String, _ attributes: [String: [String]]) -> LDAPEntry {
        LDAPEntry(
            dn: dn, attributes: Dictionary(uniqueKeysWithValues: attributes.map { ($0.key.lowercased(), $0.value.map { Array($0.utf8) }) }))
    }
}
