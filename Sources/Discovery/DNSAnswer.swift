import AdjoinCore
import DNS
/// An SRV record (RFC 2782).
public struct SRVRecord: Sendable, Equatable {
    public var priority: UInt16
    public var weight: UInt16
    public var port: UInt16
    public var target: String

    public init(priority: UInt16, weight: UInt16, port: UInt16, target: String) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }
}

/// The records of a DNS answer that discovery uses: SRV from the answer section, and the A and AAAA
/// records that servers add for the SRV targets (which saves a lookup per DC).
public struct DNSAnswer: Sendable, Equatable {
    public var srv: [SRVRecord] = []
    /// Lower-cased owner name to its addresses, in textual form.
    public var addresses: [String: [String]] = [:]

    static let typeA: UInt16 = 1
    static let typeAAAA: UInt16 = 28
    static let typeSRV: UInt16 = 33

    /// Parses a whole DNS message (RFC 1035 section 4.1).
    public init(message bytes: [UInt8]) throws(DecodeError) {
        var reader = ByteReader(bytes)
        try reader.skip(4, "DNS header")
        let questions = try reader.uint16BigEndian("question count")
        let answers = try reader.uint16BigEndian("answer count")
        let authorities = try reader.uint16BigEndian("authority count")
        let additionals = try reader.uint16BigEndian("additional count")
        for _ in 0..<questions {
            _ = try reader.compressedName("question")
            try reader.skip(4, "question type and class")
        }
        let records = Int(answers) + Int(authorities) + Int(additionals)
        for _ in 0..<records {
            let owner = try reader.compressedName("record owner")
            let type = try reader.uint16BigEndian("record type")
            try reader.skip(6, "record class and TTL")
            let length = Int(try reader.uint16BigEndian("record length"))
            let dataStart = reader.offset
            var data = ByteReader(Array(try reader.take(length, "record data")))
            switch type {
            case DNSAnswer.typeSRV:
                let priority = try data.uint16BigEndian("SRV priority")
                let weight = try data.uint16BigEndian("SRV weight")
                let port = try data.uint16BigEndian("SRV port")
                // The target may be compressed against the whole message, so read it there.
                let (target, _) = try CompressedName.read(from: bytes, at: dataStart + 6, what: "SRV target")
                srv.append(SRVRecord(priority: priority, weight: weight, port: port, target: target))
            case DNSAnswer.typeA where length == 4:
                addresses[owner.lowercased(), default: []].append(IPAddress.text(ipv4: Array(data.bytes)))
            case DNSAnswer.typeAAAA where length == 16:
                addresses[owner.lowercased(), default: []].append(IPAddress.text(ipv6: Array(data.bytes)))
            default:
                continue
            }
        }
    }
}
