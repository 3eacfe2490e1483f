import LDAP

extension LDAPEntry {
    /// An entry as a search returns it, from text values.
    static func scripted(_ dn: String, _ attributes: [String: [String]]) -> LDAPEntry {
        LDAPEntry(dn: dn, attributes: Dictionary(uniqueKeysWithValues: attributes.map { ($0.key.lowercased(), $0.value.map { Array($0.utf8) }) }))
    }
}
