import AdjoinCore

/// The one field of an AS-REP that libkrb5 does not hand back: the key version number of the client
/// key the KDC encrypted the reply with (RFC 4120 5.4.2, `enc-part` of KDC-REP, an EncryptedData
/// whose `kvno` is optional). Read only from a reply that libkrb5 has already accepted, so it is the
/// version of the key that really decrypted it. DER, read with bounds checks all the same.
enum ASReply {
    static let applicationTag: UInt8 = 0x6B  // [APPLICATION 11]
    static let sequence: UInt8 = 0x30
    static let integer: UInt8 = 0x02

    /// nil when the KDC left the kvno out.
    static func clientKeyVersion(_ bytes: [UInt8]) throws(DecodeError) -> UInt32? {
        var reader = BERReader(bytes)
        let outer = try reader.next("AS-REP", tag: applicationTag)
        var reply = reader.inside(outer)
        var body = reply.inside(try reply.next("KDC-REP", tag: sequence))
        guard let encPart = try body.field(contextTag: 6, "field of KDC-REP") else {
            throw DecodeError("AS-REP without enc-part", at: outer.content.lowerBound)
        }
        var part = body.inside(encPart)
        var encrypted = part.inside(try part.next("EncryptedData", tag: sequence))
        guard let kvno = try encrypted.field(contextTag: 1, "field of EncryptedData") else { return nil }
        var field = encrypted.inside(kvno)
        let value = try field.next("kvno", tag: integer)
        // A UInt32 in DER: up to four bytes, after a leading zero byte where the top bit is set.
        var digits = bytes[value.content]
        guard let first = digits.first, first & 0x80 == 0 else { throw DecodeError("kvno is not a UInt32", at: value.content.lowerBound) }
        if digits.count > 1, first == 0 { digits = digits.dropFirst() }
        guard digits.count <= 4 else { throw DecodeError("kvno is not a UInt32", at: value.content.lowerBound) }
        return digits.reduce(0) { $0 << 8 | UInt32($1) }
    }
}
