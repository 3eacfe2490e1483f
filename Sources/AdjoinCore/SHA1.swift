/// SHA-1 (FIPS 180-4), for one thing only: the AWS CLI names its SSO token cache file after the SHA-1
/// of the session name (or start URL), and adjoin reads that cache. Not for anything that needs a
/// collision-resistant hash.
public struct SHA1 {
    private var blocks = HashBlocks(state: [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0])

    public init() {}

    public mutating func update(_ bytes: some Sequence<UInt8>) {
        blocks.update(bytes, compress: Self.compress)
    }

    public mutating func finalize() -> [UInt8] {
        blocks.finalize(compress: Self.compress)
    }

    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = SHA1()
        hasher.update(bytes)
        return hasher.finalize()
    }

    private static func compress(_ state: inout [UInt32], _ block: [UInt32]) {
        var w = block + [UInt32](repeating: 0, count: 64)
        for i in 16..<80 { w[i] = rotateLeft(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1) }
        var a = state[0], b = state[1], c = state[2], d = state[3], e = state[4]
        for i in 0..<80 {
            let f: UInt32, k: UInt32
            switch i {
            case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5A827999)
            case 20..<40: (f, k) = (b ^ c ^ d, 0x6ED9EBA1)
            case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8F1BBCDC)
            default: (f, k) = (b ^ c ^ d, 0xCA62C1D6)
            }
            let t = rotateLeft(a, 5) &+ f &+ e &+ k &+ w[i]
            e = d
            d = c
            c = rotateLeft(b, 30)
            b = a
            a = t
        }
        for (index, value) in [a, b, c, d, e].enumerated() { state[index] &+= value }
    }

    private static func rotateLeft(_ value: UInt32, _ count: UInt32) -> UInt32 { value << count | value >> (32 - count) }
}
