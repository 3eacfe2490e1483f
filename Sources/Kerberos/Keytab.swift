import AdjoinCore

/// One key of one principal, as a keytab holds it.
public struct KeytabEntry: Sendable {
    public var components: [String]
    public var realm: String
    /// KRB5_NT_PRINCIPAL (1) or KRB5_NT_SRV_HST (3).
    public var nameType: UInt32
    public var timestamp: UInt32
    public var kvno: UInt32
    public var enctype: Int32
    public var key: SecretBytes

    public init(
        components: [String], realm: String, nameType: UInt32 = 1, timestamp: UInt32, kvno: UInt32, enctype: Int32, key: SecretBytes
    ) {
        self.components = components
        self.realm = realm
        self.nameType = nameType
        self.timestamp = timestamp
        self.kvno = kvno
        self.enctype = enctype
        self.key = key
    }

    /// "host/web1.corp.example.com@CORP.EXAMPLE.COM"
    public var principal: String { components.joined(separator: "/") + "@" + realm }
}

/// The MIT keytab file format, version 0x502 (the one every Kerberos on Linux reads): written and
/// read here so that the file is built in memory and lands on disk atomically, in one rename.
public enum KeytabFormat {
    public static func encode(_ entries: [KeytabEntry]) -> [UInt8] {
        var file: [UInt8] = [0x05, 0x02]
        for entry in entries {
            var record: [UInt8] = []
            record += be16(UInt16(entry.components.count))
            record += counted(Array(entry.realm.utf8))
            for component in entry.components { record += counted(Array(component.utf8)) }
            record += be32(entry.nameType)
            record += be32(entry.timestamp)
            record.append(UInt8(truncatingIfNeeded: entry.kvno))
            record += be16(UInt16(truncatingIfNeeded: entry.enctype))
            record += entry.key.withUnsafeBytes { counted(Array($0)) }
            record += be32(entry.kvno)  // the 32-bit kvno, since kvno8 wraps at 256
            file += be32(UInt32(record.count)) + record
            // The record held key bytes: wipe this copy.
            record.wipe()
        }
        return file
    }

    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> [KeytabEntry] {
        var reader = ByteReader(bytes)
        let version = try reader.uint16BigEndian("keytab version")
        guard version == 0x0502 else { throw DecodeError("unsupported keytab version 0x\(String(version, radix: 16))", at: 0) }
        var entries: [KeytabEntry] = []
        while !reader.isAtEnd {
            let size = Int32(bitPattern: try reader.uint32BigEndian("entry size"))
            if size < 0 {  // a hole left by a deleted entry
                try reader.skip(Int(-Int64(size)), "keytab hole")
                continue
            }
            var record = ByteReader(Array(try reader.take(Int(size), "keytab entry")))
            let count = Int(try record.uint16BigEndian("component count"))
            let realm = try string(&record, "realm")
            var components: [String] = []
            for _ in 0..<count { components.append(try string(&record, "principal component")) }
            let nameType = try record.uint32BigEndian("name type")
            let timestamp = try record.uint32BigEndian("timestamp")
            let kvno8 = try record.uint8("kvno")
            let enctype = Int32(try record.uint16BigEndian("enctype"))
            let keyLength = Int(try record.uint16BigEndian("key length"))
            let key = SecretBytes(try record.take(keyLength, "key"))
            var kvno = UInt32(kvno8)
            if record.remaining >= 4 {
                let kvno32 = try record.uint32BigEndian("kvno")
                if kvno32 != 0 { kvno = kvno32 }
            }
            entries.append(
                KeytabEntry(
                    components: components, realm: realm, nameType: nameType, timestamp: timestamp,
                    kvno: kvno, enctype: enctype, key: key))
        }
        return entries
    }

    private static func string(_ reader: inout ByteReader, _ what: String) throws(DecodeError) -> String {
        let length = Int(try reader.uint16BigEndian("\(what) length"))
        return String(decoding: try reader.take(length, what), as: UTF8.self)
    }

    private static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    private static func be32(_ value: UInt32) -> [UInt8] { (0..<4).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) } }
    private static func counted(_ bytes: [UInt8]) -> [UInt8] { be16(UInt16(bytes.count)) + bytes }
}
