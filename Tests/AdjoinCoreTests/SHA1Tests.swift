import Testing
@testable import AdjoinCore

/// Vectors from FIPS 180-4's examples (as NIST's example values list them) and the AWS CLI's SSO
/// cache naming.
@Suite struct SHA1Tests {
    @Test func knownDigests() {
        #expect(SHA1.hash([]).hexString == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(SHA1.hash(Array("abc".utf8)).hexString == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(
            SHA1.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hexString
                == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(SHA1.hash([UInt8](repeating: 0x61, count: 1_000_000)).hexString == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        // Exactly one block of input: the padding goes into a second block.
        #expect(SHA1.hash([UInt8](repeating: 0x61, count: 64)).hexString == "0098ba824b5c16427bd7a1122a5a442a25ec644d")
    }
}
