import AdjoinCore

/// The framing of the Kerberos change-password protocol, version 1 (RFC 3244 2, the format of the
/// original change-password protocol that AD and Samba accept): a request is the message length
/// (including itself), the version, the AP-REQ's length, the AP-REQ and a KRB-PRIV; a reply is the
/// same with an AP-REP, or a KRB-ERROR. The Kerberos messages inside are libkrb5's to build and read.
enum KpasswdMessage {
    static let changePasswordVersion: UInt16 = 0x0001
    static let headerLength = 6
    /// A KRB-ERROR starts with its [APPLICATION 30] tag (RFC 4120 5.9.1).
    static let krbErrorTag: UInt8 = 0x7E

    /// What a server sent back.
    enum Reply: Equatable {
        /// The request was read: an AP-REP, and a KRB-PRIV that holds the result.
        case answer(apRep: [UInt8], priv: [UInt8])
        /// A KRB-ERROR, alone or inside the framing (the server could not read the request).
        case error([UInt8])
    }

    /// Frames a request. Both parts must fit the protocol's 16-bit lengths.
    static func request(apReq: [UInt8], priv: [UInt8]) throws(DecodeError) -> [UInt8] {
        let total = headerLength + apReq.count + priv.count
        guard total <= Int(UInt16.max) else {
            throw DecodeError("a change-password request of \(total) bytes is longer than the protocol's 65535", at: 0)
        }
        return bigEndian(UInt16(total)) + bigEndian(changePasswordVersion) + bigEndian(UInt16(apReq.count)) + apReq + priv
    }

    /// Splits a reply into its parts. Every length is checked against what arrived.
    static func reply(_ bytes: [UInt8]) throws(DecodeError) -> Reply {
        if bytes.first == krbErrorTag { return .error(bytes) }
        var reader = ByteReader(bytes)
        let length = try reader.uint16BigEndian("message length")
        guard Int(length) == bytes.count else {
            throw DecodeError("the reply says it is \(length) bytes long, but \(bytes.count) arrived", at: 0)
        }
        let version = try reader.uint16BigEndian("protocol version")
        guard version == changePasswordVersion else {
            throw DecodeError("protocol version \(version) in the reply, not \(changePasswordVersion)", at: 2)
        }
        let apRepLength = Int(try reader.uint16BigEndian("AP-REP length"))
        let apRep = Array(try reader.take(apRepLength, "AP-REP"))
        let rest = Array(try reader.take(reader.remaining, "KRB-PRIV"))
        guard !rest.isEmpty else { throw DecodeError("the reply ends after its AP-REP", at: reader.offset) }
        // With no AP-REP, the last part is a KRB-ERROR rather than a KRB-PRIV (RFC 3244 2).
        if apRep.isEmpty { return .error(rest) }
        return .answer(apRep: apRep, priv: rest)
    }

    /// The user data of the reply's KRB-PRIV (or the e-data of its KRB-ERROR): a 16-bit result code,
    /// then the result string, which AD fills with a binary policy block.
    static func result(_ bytes: [UInt8]) throws(DecodeError) -> (code: UInt16, string: [UInt8]) {
        var reader = ByteReader(bytes)
        let code = try reader.uint16BigEndian("result code")
        return (code, Array(try reader.take(reader.remaining, "result string")))
    }

    /// RFC 3244's names for the result codes, for messages.
    static func name(ofResult code: UInt16) -> String {
        switch code {
        case 0: "success"
        case 1: "malformed request"
        case 2: "hard error"
        case 3: "authentication error"
        case 4: "soft error"
        case 5: "access denied"
        case 6: "bad version"
        case 7: "initial ticket needed"
        default: "result code \(code)"
        }
    }

    private static func bigEndian(_ value: UInt16) -> [UInt8] {
        [UInt8(value >> 8), UInt8(value & 0xFF)]
    }
}
