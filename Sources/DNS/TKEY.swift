import AdjoinCore

/// A TKEY record (RFC 2930 2) in GSS-API mode (RFC 3645 4.1): it carries the security context's
/// tokens between client and server, and the established context becomes the key named by `keyName`.
public struct TKEYRecord: Sendable, Equatable {
    /// RFC 2930 2.5: mode 3 is GSS-API negotiation.
    public static let gssMode: UInt16 = 3

    public var keyName: String
    public var algorithm: String
    public var inception: UInt32
    public var expiration: UInt32
    public var mode: UInt16
    public var error: DNSResponseCode
    public var keyData: [UInt8]
    public var otherData: [UInt8]

    public init(
        keyName: String, algorithm: String = TSIGRecord.gssAlgorithm, inception: UInt32, expiration: UInt32,
        mode: UInt16 = TKEYRecord.gssMode, error: DNSResponseCode = .noError, keyData: [UInt8], otherData: [UInt8] = []
    ) {
        self.keyName = keyName
        self.algorithm = algorithm
        self.inception = inception
        self.expiration = expiration
        self.mode = mode
        self.error = error
        self.keyData = keyData
        self.otherData = otherData
    }

    public func record() throws(DNSEncodeError) -> DNSRecord {
        guard keyData.count <= Int(UInt16.max), otherData.count <= Int(UInt16.max) else { throw DNSEncodeError("a TKEY token is too long") }
        var data = DNSWriter()
        try data.name(algorithm)
        data.uint32(inception)
        data.uint32(expiration)
        data.uint16(mode)
        data.uint16(error.value)
        data.uint16(UInt16(keyData.count))
        data.append(keyData)
        data.uint16(UInt16(otherData.count))
        data.append(otherData)
        return DNSRecord(owner: keyName, type: DNSType.tkey, recordClass: DNSClass.any, ttl: 0, data: data.bytes)
    }

    public init(_ record: DNSRecord) throws(DecodeError) {
        guard record.type == DNSType.tkey else { throw DecodeError("not a TKEY record (type \(record.type))", at: record.offset) }
        var reader = ByteReader(record.data)
        keyName = record.owner
        algorithm = try reader.compressedName("TKEY algorithm")
        inception = try reader.uint32BigEndian("TKEY inception")
        expiration = try reader.uint32BigEndian("TKEY expiration")
        mode = try reader.uint16BigEndian("TKEY mode")
        error = DNSResponseCode(try reader.uint16BigEndian("TKEY error"))
        keyData = Array(try reader.take(Int(try reader.uint16BigEndian("TKEY key size")), "TKEY key data"))
        otherData = Array(try reader.take(Int(try reader.uint16BigEndian("TKEY other size")), "TKEY other data"))
        guard reader.isAtEnd else {
            throw DecodeError("\(reader.remaining) bytes after the TKEY record's data", at: record.dataOffset + reader.offset)
        }
    }

    /// The query that carries a token (RFC 3645 4.1.2): the key's name as the question, of type TKEY
    /// and class ANY, and the TKEY record in the additional section (as `nsupdate -g` sends it).
    public func query(id: UInt16) throws(DNSEncodeError) -> DNSMessage {
        var message = DNSMessage(id: id, opcode: DNSMessage.opcodeQuery)
        message.questions = [DNSQuestion(name: keyName, type: DNSType.tkey, recordClass: DNSClass.any)]
        message.additionals = [try record()]
        return message
    }
}
