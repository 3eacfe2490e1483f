import AdjoinCore
import DNS
/// NETLOGON_SAM_LOGON_RESPONSE_EX (MS-ADTS 6.3.1.9): what a DC says about itself and its domain in
/// reply to an LDAP ping.
public struct NetlogonResponse: Sendable, Equatable {
    public var opcode: UInt16
    public var flags: DCFlags
    public var domainGUID: [UInt8]
    public var forest: String
    public var domain: String
    public var hostName: String
    public var netbiosDomain: String
    public var netbiosComputerName: String
    public var userName: String
    public var dcSite: String
    public var clientSite: String
    public var ntVersion: UInt32?

    /// LOGON_SAM_LOGON_RESPONSE_EX; 25 (LOGON_SAM_USER_UNKNOWN_EX) is the same layout for a ping
    /// that named an unknown user; 24 (LOGON_SAM_PAUSE_RESPONSE_EX) means the DC's netlogon is paused.
    public static let opcodeResponse: UInt16 = 23
    public static let opcodePaused: UInt16 = 24
    public static let opcodeUserUnknown: UInt16 = 25

    /// Decodes the structure as requested with `requestedVersion` (which decides the optional fields).
    public init(decoding bytes: [UInt8], requestedVersion: UInt32 = LDAPPing.ntVersion) throws(DecodeError) {
        var reader = ByteReader(bytes)
        opcode = try reader.uint16LittleEndian("opcode")
        guard [NetlogonResponse.opcodeResponse, NetlogonResponse.opcodePaused, NetlogonResponse.opcodeUserUnknown].contains(opcode) else {
            throw DecodeError("not a NETLOGON_SAM_LOGON_RESPONSE_EX (opcode \(opcode))", at: 0)
        }
        try reader.skip(2, "Sbz")
        flags = DCFlags(rawValue: try reader.uint32LittleEndian("flags"))
        domainGUID = Array(try reader.take(16, "domain GUID"))
        forest = try reader.compressedName("DnsForestName")
        domain = try reader.compressedName("DnsDomainName")
        hostName = try reader.compressedName("DnsHostName")
        netbiosDomain = try reader.compressedName("NetbiosDomainName")
        netbiosComputerName = try reader.compressedName("NetbiosComputerName")
        userName = try reader.compressedName("UserName")
        dcSite = try reader.compressedName("DcSiteName")
        clientSite = try reader.compressedName("ClientSiteName")
        // The trailer (optional socket address, next closest site, NtVersion and tokens) tells nothing
        // that discovery needs; read what is there but do not insist on it.
        if requestedVersion & 0x8 != 0 {
            let size = Int(try reader.uint8("DcSockAddrSize"))
            try reader.skip(size, "DcSockAddr")
        }
        if requestedVersion & 0x10 != 0 {
            _ = try reader.compressedName("NextClosestSiteName")
        }
        ntVersion = reader.remaining >= 4 ? try reader.uint32LittleEndian("NtVersion") : nil
    }

    public var domainGUIDString: String {
        guard domainGUID.count == 16 else { return "" }
        // Mixed-endian as Windows prints GUIDs: the first three fields little-endian.
        let order = [3, 2, 1, 0, -1, 5, 4, -1, 7, 6, -1, 8, 9, -1, 10, 11, 12, 13, 14, 15]
        return order.map { $0 < 0 ? "-" : hex($0) }.joined()
    }

    private func hex(_ index: Int) -> String {
        let text = String(domainGUID[index], radix: 16)
        return text.count == 1 ? "0" + text : text
    }
}

/// DS_FLAG bits of MS-ADTS 6.3.1.2: what the DC is and does.
public struct DCFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let pdc = DCFlags(rawValue: 0x0000_0001)
    public static let globalCatalog = DCFlags(rawValue: 0x0000_0004)
    public static let ldap = DCFlags(rawValue: 0x0000_0008)
    public static let directoryService = DCFlags(rawValue: 0x0000_0010)
    public static let kdc = DCFlags(rawValue: 0x0000_0020)
    public static let timeServer = DCFlags(rawValue: 0x0000_0040)
    public static let closest = DCFlags(rawValue: 0x0000_0080)
    public static let writable = DCFlags(rawValue: 0x0000_0100)
    public static let goodTimeServer = DCFlags(rawValue: 0x0000_0200)
    public static let nonDomainNC = DCFlags(rawValue: 0x0000_0400)
    public static let readOnly = DCFlags(rawValue: 0x0000_0800)
    public static let fullSecret = DCFlags(rawValue: 0x0000_1000)
    public static let webService = DCFlags(rawValue: 0x0000_2000)
    public static let windows2012 = DCFlags(rawValue: 0x0000_4000)
    public static let windows2012R2 = DCFlags(rawValue: 0x0000_8000)
    public static let windows2016 = DCFlags(rawValue: 0x0001_0000)
    public static let keyList = DCFlags(rawValue: 0x0002_0000)
    public static let dnsController = DCFlags(rawValue: 0x2000_0000)
    public static let dnsDomain = DCFlags(rawValue: 0x4000_0000)
    public static let dnsForest = DCFlags(rawValue: 0x8000_0000)

    /// Names for output, in bit order (as `adcli info` lists them, in words).
    public static let names: [(DCFlags, String)] = [
        (.pdc, "pdc"), (.globalCatalog, "gc"), (.ldap, "ldap"), (.directoryService, "ds"), (.kdc, "kdc"),
        (.timeServer, "timeserv"), (.closest, "closest"), (.writable, "writable"),
        (.goodTimeServer, "good-timeserv"), (.nonDomainNC, "ndnc"), (.readOnly, "rodc"),
        (.fullSecret, "full-secret"), (.webService, "ads-web"), (.windows2012, "ds-8"),
        (.windows2012R2, "ds-9"), (.windows2016, "ds-10"), (.keyList, "key-list"),
        (.dnsController, "dns-controller"), (.dnsDomain, "dns-domain"), (.dnsForest, "dns-forest"),
    ]

    public var names: [String] {
        DCFlags.names.compactMap { contains($0.0) ? $0.1 : nil }
    }
}
