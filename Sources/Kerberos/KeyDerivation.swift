import AdjoinCore
internal import CKerberos

extension KerberosContext {
    /// The long-term key for `password` (string-to-key of RFC 3961/3962, done by libk5crypto).
    public func deriveKey(_ type: EncryptionType, password: SecretBytes, salt: String) throws(KerberosError) -> SecretBytes {
        var key = krb5_keyblock()
        let status = password.withUnsafeBytes { passwordBytes in
            Array(salt.utf8).withUnsafeBufferPointer { saltBytes in
                var passwordData = krb5_data.borrowing(passwordBytes)
                var saltData = krb5_data.borrowing(UnsafeRawBufferPointer(saltBytes))
                return krb5_c_string_to_key(raw, type.number, &passwordData, &saltData, &key)
            }
        }
        try check(status, "deriving the \(type) key")
        defer { krb5_free_keyblock_contents(raw, &key) }
        return SecretBytes(UnsafeRawBufferPointer(start: key.contents, count: Int(key.length)))
    }
}
