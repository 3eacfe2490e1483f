import AdjoinCore
@testable import Discovery

/// Builders for wire bytes, written independently of the decoders under test.
enum Wire {
    static func name(_ dotted: String) -> [UInt8] {
        guard !dotted.isEmpty else { return [0] }
        return dotted.split(separator: ".").flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0]
    }

    static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

    static let guid: [UInt8] = [0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF]

    /// A NETLOGON_SAM_LOGON_RESPONSE_EX as a Windows DC writes it: later names point back at earlier ones.
    static func netlogon(opcode: UInt16 = 23, flags: UInt32 = 0x0000_F3FD) -> [UInt8] {
        var bytes = le16(opcode) + le16(0) + le32(flags) + guid
        let forestOffset = bytes.count
        bytes += name("corp.example.com")  // DnsForestName
        bytes += [0xC0, UInt8(forestOffset)]  // DnsDomainName: same as the forest
        bytes += [3] + Array("dc1".utf8) + [0xC0, UInt8(forestOffset)]  // DnsHostName: dc1 + pointer
        bytes += name("CORP")  // NetbiosDomainName
        bytes += name("DC1")  // NetbiosComputerName
        bytes += [0]  // UserName: empty
        let siteOffset = bytes.count
        bytes += name("Default-First-Site-Name")  // DcSiteName
        bytes += [0xC0, UInt8(siteOffset)]  // ClientSiteName: same site
        bytes += le32(LDAPPing.ntVersion | 1) + le16(0xFFFF) + le16(0xFFFF)
        return bytes
    }

    static func ber(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        precondition(content.count < 0x10000)
        if content.count < 0x80 { return [tag, UInt8(content.count)] + content }
        if content.count < 0x100 { return [tag, 0x81, UInt8(content.count)] + content }
        return [tag, 0x82, UInt8(content.count >> 8), UInt8(content.count & 0xFF)] + content
    }

    /// A CLDAP reply: searchResEntry carrying the Netlogon value, then searchResDone, in one datagram.
    static func pingReply(messageID: UInt8, netlogon value: [UInt8], attribute: String = "netlogon") -> [UInt8] {
        let attributeElement = ber(0x30, ber(0x04, Array(attribute.utf8)) + ber(0x31, ber(0x04, value)))
        let entry = ber(0x64, ber(0x04, []) + ber(0x30, attributeElement))
        let done = ber(0x65, ber(0x0A, [0]) + ber(0x04, []) + ber(0x04, []))
        return ber(0x30, ber(0x02, [messageID]) + entry) + ber(0x30, ber(0x02, [messageID]) + done)
    }
}
