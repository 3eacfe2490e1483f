/// The Kerberos encryption types a join writes keys for (RFC 3962, RFC 4757), with the bits AD uses
/// for them in msDS-SupportedEncryptionTypes (MS-KILE 2.2.7).
public struct EncryptionType: Sendable, Hashable, CustomStringConvertible {
    public let number: Int32
    public let name: String
    public let supportedEncryptionTypesBit: UInt32
    /// RC4's key is the NT hash: it takes no salt.
    public let usesSalt: Bool

    public static let aes256 = EncryptionType(
        number: 18, name: "aes256-cts-hmac-sha1-96", supportedEncryptionTypesBit: 0x10, usesSalt: true)
    public static let aes128 = EncryptionType(
        number: 17, name: "aes128-cts-hmac-sha1-96", supportedEncryptionTypesBit: 0x08, usesSalt: true)
    public static let rc4 = EncryptionType(number: 23, name: "arcfour-hmac", supportedEncryptionTypesBit: 0x04, usesSalt: false)

    public var description: String { name }

    public static func supportedEncryptionTypes(_ types: [EncryptionType]) -> UInt32 {
        types.reduce(0) { $0 | $1.supportedEncryptionTypesBit }
    }
}

/// The salt AD uses for a computer account's AES keys (MS-KILE 3.1.1.2): the realm in upper case,
/// "host", the account name without its '$' in lower case, ".", the realm's DNS name in lower case.
/// Derived here, never guessed with trial logins.
public enum ADSalt {
    public static func computer(samAccountName: String, realm: String) -> String {
        var name = samAccountName.lowercased()
        if name.hasSuffix("$") { name.removeLast() }
        return realm.uppercased() + "host" + name + "." + realm.lowercased()
    }
}
