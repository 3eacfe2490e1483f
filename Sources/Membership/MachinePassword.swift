import AdjoinCore

/// The computer account's password: random, 120 characters, from every character class AD's
/// complexity rule counts. Nobody types it; only its keys are kept (in the keytab).
public enum MachinePassword {
    public static let length = 120
    static let lower = Array("abcdefghijklmnopqrstuvwxyz".utf8)
    static let upper = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
    static let digits = Array("0123456789".utf8)
    // No quote or backslash: unicodePwd wraps the password in quotes, and these keep it unambiguous.
    static let symbols = Array("!#$%&()*+,-./:;<=>?@[]^_{|}~".utf8)
    static var alphabet: [UInt8] { lower + upper + digits + symbols }

    public static func generate() -> SecretBytes {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    public static func generate<G: RandomNumberGenerator>(using generator: inout G) -> SecretBytes {
        let alphabet = self.alphabet
        var bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
        // One of each class at random places, so complexity holds whatever the draw.
        var places = Array(0..<length)
        places.shuffle(using: &generator)
        for (place, set) in zip(places, [lower, upper, digits, symbols]) {
            bytes[place] = set.randomElement(using: &generator)!
        }
        defer { bytes.wipe() }
        return SecretBytes(bytes)
    }

    /// The value of unicodePwd: the password in double quotes, UTF-16LE (MS-ADTS 3.1.1.3.1.5); written
    /// straight onto secret pages (the password is ASCII, so each byte is one UTF-16 code unit).
    public static func unicodePwd(_ password: SecretBytes) -> SecretBytes {
        password.withUnsafeBytes { bytes in
            SecretBytes(count: 2 * (bytes.count + 2)) { out in
                out.initializeMemory(as: UInt8.self, repeating: 0)
                out[0] = UInt8(ascii: "\"")
                for (index, byte) in bytes.enumerated() { out[2 * (index + 1)] = byte }
                out[2 * (bytes.count + 1)] = UInt8(ascii: "\"")
            }
        }
    }
}
