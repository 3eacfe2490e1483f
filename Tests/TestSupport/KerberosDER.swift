/// Just enough DER to write a Ticket and a KRB-ERROR (RFC 4120 5.3, 5.9.1) by hand, for the fake servers of tests.
public enum KerberosDER {
    public static func element(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        let length: [UInt8] =
            content.count < 0x80
            ? [UInt8(content.count)]
            : content.count < 0x100 ? [0x81, UInt8(content.count)] : [0x82, UInt8(content.count >> 8), UInt8(content.count & 0xFF)]
        return [tag] + length + content
    }

    public static func integer(_ value: UInt8) -> [UInt8] { element(0x02, value < 0x80 ? [value] : [0x00, value]) }
    public static func string(_ text: String) -> [UInt8] { element(0x1B, Array(text.utf8)) }
    public static func field(_ number: UInt8, _ content: [UInt8]) -> [UInt8] { element(0xA0 + number, content) }

    public static func principal(_ components: [String]) -> [UInt8] {
        element(0x30, field(0, integer(2)) + field(1, element(0x30, components.flatMap(string))))
    }

    public static func ticket(realm: String) -> [UInt8] {
        let encrypted = element(0x30, field(0, integer(18)) + field(2, element(0x04, (0..<64).map { _ in UInt8.random(in: 0...255) })))
        return element(
            0x61,
            element(
                0x30,
                field(0, integer(5)) + field(1, string(realm)) + field(2, principal(["kadmin", "changepw"]))
                    + field(3, encrypted)))
    }

    public static func krbError(code: UInt8, realm: String, text: String?, data: [UInt8]? = nil) -> [UInt8] {
        var body = field(0, integer(5)) + field(1, integer(30)) + field(4, element(0x18, Array("20260101000000Z".utf8)))
        body += field(5, integer(0)) + field(6, integer(code)) + field(9, string(realm)) + field(10, principal(["kadmin", "changepw"]))
        if let text { body += field(11, string(text)) }
        if let data { body += field(12, element(0x04, data)) }
        return element(0x7E, element(0x30, body))
    }

    /// A kpasswd reply that carries a KRB-ERROR in RFC 3244's framing: length, version 1, an empty AP-REP.
    public static func kpasswdErrorReply(_ error: [UInt8]) -> [UInt8] {
        let length = 6 + error.count
        return [UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF), 0x00, 0x01, 0x00, 0x00] + error
    }

    /// What Windows Server 2025's kpasswd answers to a change it made (SSSD issue 7751, msktutil issue
    /// 228): not the AP-REP and KRB-PRIV of RFC 3244, but a KRB-ERROR whose e-data holds result code 0,
    /// success, a form RFC 3244 does not allow and MIT krb5 rejects ("Message stream modified").
    public static func windowsServer2025Success(realm: String) -> [UInt8] {
        kpasswdErrorReply(krbError(code: 60, realm: realm, text: nil, data: [0x00, 0x00] + Array("Password changed".utf8)))
    }
}
