import AdjoinCore

/// A TSIG record (RFC 2845 2.3; with GSS-API keys RFC 3645): the signature that closes a signed message.
public struct TSIGRecord: Sendable, Equatable {
    /// RFC 3645's algorithm name.
    public static let gssAlgorithm = "gss-tsig"
    /// RFC 2845 6: how far the signer's clock may be from ours; 300 s as it recommends.
    public static let defaultFudge: UInt16 = 300

    public var keyName: String
    public var algorithm: String
    public var timeSigned: UInt64
    public var fudge: UInt16
    public var mac: [UInt8]
    public var originalID: UInt16
    public var error: DNSResponseCode
    public var otherData: [UInt8]

    public init(
        keyName: String, algorithm: String = TSIGRecord.gssAlgorithm, timeSigned: UInt64, fudge: UInt16 = TSIGRecord.defaultFudge,
        mac: [UInt8] = [], originalID: UInt16, error: DNSResponseCode = .noError, otherData: [UInt8] = []
    ) {
        self.keyName = keyName
        self.algorithm = algorithm
        self.timeSigned = timeSigned
        self.fudge = fudge
        self.mac = mac
        self.originalID = originalID
        self.error = error
        self.otherData = otherData
    }

    /// The record as sent: class ANY, TTL 0 (RFC 2845 2.3).
    public func record() throws(DNSEncodeError) -> DNSRecord {
        guard mac.count <= Int(UInt16.max), otherData.count <= Int(UInt16.max) else {
            throw DNSEncodeError("a TSIG MAC or other data is too long")
        }
        var data = DNSWriter()
        try data.name(algorithm)
        data.uint48(timeSigned)
        data.uint16(fudge)
        data.uint16(UInt16(mac.count))
        data.append(mac)
        data.uint16(originalID)
        data.uint16(error.value)
        data.uint16(UInt16(otherData.count))
        data.append(otherData)
        return DNSRecord(owner: keyName, type: DNSType.tsig, recordClass: DNSClass.any, ttl: 0, data: data.bytes)
    }

    public init(_ record: DNSRecord) throws(DecodeError) {
        guard record.type == DNSType.tsig else { throw DecodeError("not a TSIG record (type \(record.type))", at: record.offset) }
        var reader = ByteReader(record.data)
        keyName = record.owner
        // RFC 2845 2.3: the algorithm name is not compressed, so it is read within the record's data alone.
        algorithm = try reader.compressedName("TSIG algorithm")
        timeSigned = try reader.uint48BigEndian("TSIG time signed")
        fudge = try reader.uint16BigEndian("TSIG fudge")
        mac = Array(try reader.take(Int(try reader.uint16BigEndian("TSIG MAC size")), "TSIG MAC"))
        originalID = try reader.uint16BigEndian("TSIG original id")
        error = DNSResponseCode(try reader.uint16BigEndian("TSIG error"))
        otherData = Array(try reader.take(Int(try reader.uint16BigEndian("TSIG other length")), "TSIG other data"))
        guard reader.isAtEnd else {
            throw DecodeError("\(reader.remaining) bytes after the TSIG record's data", at: record.dataOffset + reader.offset)
        }
    }

    /// RFC 2845 3.4.2, the "TSIG variables" the MAC covers after the message: names in canonical
    /// (lower-case, uncompressed) form, then class, TTL, algorithm, time, fudge, error and other data,
    /// but neither the MAC nor the original id.
    public func variables() throws(DNSEncodeError) -> [UInt8] {
        var writer = DNSWriter()
        try writer.name(keyName, canonical: true)
        writer.uint16(DNSClass.any)
        writer.uint32(0)
        try writer.name(algorithm, canonical: true)
        writer.uint48(timeSigned)
        writer.uint16(fudge)
        writer.uint16(error.value)
        writer.uint16(UInt16(truncatingIfNeeded: otherData.count))
        writer.append(otherData)
        return writer.bytes
    }
}

/// Signing a message and checking a signed one (RFC 2845 3.4 and 4).
public enum TSIG {
    /// What the MAC covers. A request: the message as sent without its TSIG (RFC 2845 3.4.1), then
    /// the TSIG variables. A response: first the request's MAC with its length (3.4.1 and 4.2; RFC 8945
    /// 4.3.3). `requestMACLength` false: without the length, as Samba's DNS server signs its answers.
    public static func macInput(
        message unsigned: [UInt8], signature: TSIGRecord, requestMAC: [UInt8]? = nil,
        requestMACLength: Bool = true
    ) throws(DNSEncodeError) -> [UInt8] {
        var input: [UInt8] = []
        if let requestMAC, !requestMACLength {
            input = requestMAC
        } else if let requestMAC {
            var writer = DNSWriter()
            writer.uint16(UInt16(truncatingIfNeeded: requestMAC.count))
            input = writer.bytes + requestMAC
        }
        return input + unsigned + (try signature.variables())
    }

    /// `unsigned` with `signature` appended as its last additional record (ARCOUNT one higher).
    public static func appending(_ signature: TSIGRecord, to unsigned: [UInt8]) throws(DNSEncodeError) -> [UInt8] {
        guard unsigned.count >= 12 else { throw DNSEncodeError("a DNS message shorter than its header") }
        let count = UInt16(unsigned[10]) << 8 | UInt16(unsigned[11])
        guard count < UInt16.max else { throw DNSEncodeError("too many additional records to sign") }
        var writer = DNSWriter()
        try signature.record().encode(into: &writer)
        var bytes = unsigned + writer.bytes
        bytes[10] = UInt8((count + 1) >> 8)
        bytes[11] = UInt8((count + 1) & 0xFF)
        return bytes
    }

    /// A received message's TSIG, if it has one, and the message as its signer saw it before signing:
    /// cut before the TSIG, ARCOUNT one lower, and the original id in place of the id (RFC 2845 3.4.1).
    /// A TSIG anywhere but last, or more than one, is refused (RFC 2845 4.6 calls that a FORMERR).
    public static func split(_ bytes: [UInt8], _ message: DNSMessage) throws(DecodeError) -> (unsigned: [UInt8], signature: TSIGRecord)? {
        let records = message.answers + message.authorities + message.additionals
        guard let position = records.firstIndex(where: { $0.type == DNSType.tsig }) else { return nil }
        guard position == records.count - 1, let last = message.additionals.last, last.type == DNSType.tsig else {
            throw DecodeError("a TSIG record that is not the message's last record", at: records[position].offset)
        }
        let signature = try TSIGRecord(last)
        var unsigned = Array(bytes[..<last.offset])
        let count = UInt16(message.additionals.count - 1)
        unsigned[0] = UInt8(signature.originalID >> 8)
        unsigned[1] = UInt8(signature.originalID & 0xFF)
        unsigned[10] = UInt8(count >> 8)
        unsigned[11] = UInt8(count & 0xFF)
        return (unsigned, signature)
    }
}
