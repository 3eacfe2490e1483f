import AdjoinCore
/// The LDAP ping of MS-ADTS 6.3.3: a search of the rootDSE over UDP (CLDAP) whose filter names the
/// domain and the reply version, and whose only attribute is `Netlogon`. The DC answers with a
/// NETLOGON_SAM_LOGON_RESPONSE_EX in that attribute's value.
public enum LDAPPing {
    /// NETLOGON_NT_VERSION_5 | NETLOGON_NT_VERSION_5EX: ask for the _EX reply without the optional
    /// socket address and next-closest-site fields (MS-ADTS 6.3.1.1).
    public static let ntVersion: UInt32 = 0x0000_0006

    private static let searchRequest: UInt8 = 0x63  // [APPLICATION 3], constructed
    private static let searchResultEntry: UInt8 = 0x64  // [APPLICATION 4], constructed
    private static let searchResultDone: UInt8 = 0x65  // [APPLICATION 5], constructed
    private static let andFilter: UInt8 = 0xA0  // [0], constructed
    private static let equalityMatch: UInt8 = 0xA3  // [3], constructed

    public static func request(messageID: Int32, domain: String) -> [UInt8] {
        let version = withUnsafeBytes(of: ntVersion.littleEndian) { Array($0) }
        let filter = BER.element(
            andFilter,
            BER.element(equalityMatch, BER.octetString("DnsDomain") + BER.octetString(domain))
                + BER.element(equalityMatch, BER.octetString("NtVer") + BER.octetString(version)))
        let search = BER.element(
            searchRequest,
            BER.octetString("")  // base: the rootDSE
                + BER.integer(0, tag: BER.enumerated)  // scope: baseObject
                + BER.integer(0, tag: BER.enumerated)  // derefAliases: never
                + BER.integer(0)  // sizeLimit
                + BER.integer(0)  // timeLimit
                + BER.element(BER.boolean, [0x00])  // typesOnly: false
                + filter
                + BER.element(BER.sequence, BER.octetString("Netlogon")))
        return BER.element(BER.sequence, BER.integer(messageID) + search)
    }

    /// The message id of a reply, so replies to other pings (or stray datagrams) can be told apart.
    public static func messageID(ofReply bytes: [UInt8]) throws(DecodeError) -> Int64 {
        var top = BERReader(bytes)
        let message = try top.next("LDAPMessage", tag: BER.sequence)
        var fields = top.inside(message)
        return try fields.integer(fields.next("messageID", tag: BER.integer), "messageID")
    }

    /// The value of the `Netlogon` attribute in a ping reply; nil when the DC answered with no entry,
    /// which is how a DC says that it does not serve the domain named in the ping.
    /// The resultCode of a reply that is a bare SearchResultDone (no entry), else nil. A DC that does
    /// not serve the domain answers success with no entry; a non-zero code is the server failing to
    /// answer (Samba under load answers operationsError), which is worth asking again.
    public static func failureCode(ofReply bytes: [UInt8]) -> Int64? {
        var top = BERReader(bytes)
        guard let message = try? top.next("LDAPMessage", tag: BER.sequence) else { return nil }
        var fields = top.inside(message)
        guard (try? fields.next("messageID", tag: BER.integer)) != nil,
            let operation = try? fields.next("protocolOp"), operation.tag == searchResultDone
        else { return nil }
        var done = fields.inside(operation)
        guard let code = try? done.next("resultCode", tag: BER.enumerated), let value = try? done.integer(code, "resultCode"), value != 0
        else { return nil }
        return value
    }

    public static func netlogonValue(fromReply bytes: [UInt8]) throws(DecodeError) -> [UInt8]? {
        var top = BERReader(bytes)
        let message = try top.next("LDAPMessage", tag: BER.sequence)
        var fields = top.inside(message)
        _ = try fields.next("messageID", tag: BER.integer)
        let operation = try fields.next("protocolOp")
        if operation.tag == searchResultDone {
            return nil
        }
        guard operation.tag == searchResultEntry else {
            throw DecodeError(
                "unexpected LDAP operation 0x\(String(operation.tag, radix: 16)) in ping reply", at: operation.content.lowerBound)
        }
        var entry = fields.inside(operation)
        _ = try entry.next("objectName", tag: BER.octetString)
        let attributeList = try entry.next("attributes", tag: BER.sequence)
        var attributes = entry.inside(attributeList)
        while !attributes.isAtEnd {
            let attribute = try attributes.next("attribute", tag: BER.sequence)
            var parts = attributes.inside(attribute)
            let type = parts.octets(try parts.next("attribute type", tag: BER.octetString))
            guard String(decoding: type, as: UTF8.self).lowercased() == "netlogon" else { continue }
            let values = try parts.next("attribute values", tag: BER.set)
            var valueReader = parts.inside(values)
            return valueReader.octets(try valueReader.next("Netlogon value", tag: BER.octetString))
        }
        throw DecodeError("ping reply has no Netlogon attribute", at: attributeList.content.lowerBound)
    }
}
