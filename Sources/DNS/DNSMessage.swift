import AdjoinCore

public struct DNSQuestion: Sendable, Equatable {
    public var name: String
    public var type: UInt16
    public var recordClass: UInt16

    public init(name: String, type: UInt16, recordClass: UInt16 = DNSClass.internet) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }
}

/// A resource record. `data` is the RDATA as on the wire; a decoded record also knows where it began
/// in its message (`offset`), for names in its data that point back into the message, and where a
/// TSIG's MAC input ends.
public struct DNSRecord: Sendable, Equatable {
    public var owner: String
    public var type: UInt16
    public var recordClass: UInt16
    public var ttl: UInt32
    public var data: [UInt8]
    public var offset = 0
    public var dataOffset = 0

    public init(owner: String, type: UInt16, recordClass: UInt16 = DNSClass.internet, ttl: UInt32 = 0, data: [UInt8] = []) {
        self.owner = owner
        self.type = type
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }

    /// An A record's data: the four bytes of an IPv4 address.
    public static func address(_ owner: String, _ address: SocketAddress, ttl: UInt32, recordClass: UInt16 = DNSClass.internet) -> DNSRecord
    {
        DNSRecord(
            owner: owner, type: address.family == .ipv4 ? DNSType.a : DNSType.aaaa, recordClass: recordClass, ttl: ttl,
            data: address.addressBytes)
    }

    func encode(into writer: inout DNSWriter) throws(DNSEncodeError) {
        try writer.name(owner)
        writer.uint16(type)
        writer.uint16(recordClass)
        writer.uint32(ttl)
        guard data.count <= Int(UInt16.max) else { throw DNSEncodeError("the data of a record for \(owner) is too long") }
        writer.uint16(UInt16(data.count))
        writer.append(data)
    }
}

/// A whole DNS message (RFC 1035 4.1). In an UPDATE (RFC 2136 2) the four sections are the zone,
/// the prerequisites, the update and the additional records.
public struct DNSMessage: Sendable, Equatable {
    public var id: UInt16
    /// QR, opcode, AA, TC, RD, RA, Z, RCODE: the header's second 16 bits.
    public var flags: UInt16
    public var questions: [DNSQuestion] = []
    public var answers: [DNSRecord] = []
    public var authorities: [DNSRecord] = []
    public var additionals: [DNSRecord] = []

    public static let opcodeQuery: UInt16 = 0
    public static let opcodeUpdate: UInt16 = 5

    public init(id: UInt16, opcode: UInt16, recursionDesired: Bool = false) {
        self.id = id
        self.flags = (opcode & 0xF) << 11 | (recursionDesired ? 0x0100 : 0)
    }

    public var isResponse: Bool { flags & 0x8000 != 0 }
    public var opcode: UInt16 { flags >> 11 & 0xF }
    public var isTruncated: Bool { flags & 0x0200 != 0 }
    public var rcode: DNSResponseCode { DNSResponseCode(flags & 0xF) }

    public func encoded() throws(DNSEncodeError) -> [UInt8] {
        var writer = DNSWriter()
        writer.uint16(id)
        writer.uint16(flags)
        for count in [questions.count, answers.count, authorities.count, additionals.count] {
            guard count <= Int(UInt16.max) else { throw DNSEncodeError("too many records in one message") }
            writer.uint16(UInt16(count))
        }
        for question in questions {
            try writer.name(question.name)
            writer.uint16(question.type)
            writer.uint16(question.recordClass)
        }
        for record in answers + authorities + additionals {
            try record.encode(into: &writer)
        }
        return writer.bytes
    }

    /// Decodes a message from the network: every read bounds-checked, counts checked against what is
    /// there, nothing after the last record.
    public init(decoding bytes: [UInt8]) throws(DecodeError) {
        var reader = ByteReader(bytes)
        id = try reader.uint16BigEndian("DNS message id")
        flags = try reader.uint16BigEndian("DNS header flags")
        let counts = [
            try reader.uint16BigEndian("question count"), try reader.uint16BigEndian("answer count"),
            try reader.uint16BigEndian("authority count"), try reader.uint16BigEndian("additional count"),
        ]
        for _ in 0..<counts[0] {
            let name = try reader.compressedName("question")
            questions.append(
                DNSQuestion(
                    name: name, type: try reader.uint16BigEndian("question type"),
                    recordClass: try reader.uint16BigEndian("question class")))
        }
        func records(_ count: UInt16, _ section: String) throws(DecodeError) -> [DNSRecord] {
            var found: [DNSRecord] = []
            for _ in 0..<count {
                let start = reader.offset
                let owner = try reader.compressedName("\(section) record owner")
                let type = try reader.uint16BigEndian("\(section) record type")
                let recordClass = try reader.uint16BigEndian("\(section) record class")
                let ttl = try reader.uint32BigEndian("\(section) record TTL")
                let length = Int(try reader.uint16BigEndian("\(section) record length"))
                let dataOffset = reader.offset
                var record = DNSRecord(
                    owner: owner, type: type, recordClass: recordClass, ttl: ttl,
                    data: Array(try reader.take(length, "\(section) record data")))
                record.offset = start
                record.dataOffset = dataOffset
                found.append(record)
            }
            return found
        }
        answers = try records(counts[1], "answer")
        authorities = try records(counts[2], "authority")
        additionals = try records(counts[3], "additional")
        guard reader.isAtEnd else { throw DecodeError("\(reader.remaining) bytes after the last record", at: reader.offset) }
    }
}

/// RCODE (RFC 1035 4.1.1, RFC 2136 2.2, RFC 2845 and RFC 2930 for the TSIG and TKEY errors).
public struct DNSResponseCode: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let value: UInt16
    public init(_ value: UInt16) { self.value = value }

    public static let noError = DNSResponseCode(0)
    public static let formatError = DNSResponseCode(1)
    public static let serverFailure = DNSResponseCode(2)
    public static let nameError = DNSResponseCode(3)
    public static let notImplemented = DNSResponseCode(4)
    public static let refused = DNSResponseCode(5)
    public static let notAuthoritative = DNSResponseCode(9)
    public static let notZone = DNSResponseCode(10)
    public static let badSignature = DNSResponseCode(16)
    public static let badKey = DNSResponseCode(17)
    public static let badTime = DNSResponseCode(18)

    public var description: String {
        let names: [UInt16: String] = [
            0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
            6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE",
            16: "BADSIG", 17: "BADKEY", 18: "BADTIME", 19: "BADMODE", 20: "BADNAME", 21: "BADALG",
        ]
        return names[value] ?? "RCODE \(value)"
    }
}
