/// What SHA-1 and SHA-256 share (FIPS 180-4 5.1.1, 5.2.1, 6.1.2, 6.2.2): the message cut into 64-byte
/// blocks for a compression function over 32-bit state words, padded with 0x80, zeros and the length
/// in bits (big-endian), and the final state read out big-endian. Each hash brings its own state and
/// compression.
struct HashBlocks {
    private(set) var state: [UInt32]
    private var buffer: [UInt8] = []
    private var length: UInt64 = 0

    init(state: [UInt32]) {
        self.state = state
    }

    mutating func update(_ bytes: some Sequence<UInt8>, compress: (inout [UInt32], [UInt32]) -> Void) {
        for byte in bytes {
            buffer.append(byte)
            length &+= 1
            if buffer.count == 64 {
                compress(&state, Self.words(buffer))
                buffer.removeAll(keepingCapacity: true)
            }
        }
    }

    mutating func finalize(compress: (inout [UInt32], [UInt32]) -> Void) -> [UInt8] {
        let bitLength = length &* 8
        update([0x80], compress: compress)
        while buffer.count != 56 { update([0], compress: compress) }
        update((0..<8).reversed().map { UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64($0))) }, compress: compress)
        return state.flatMap { word in (0..<4).reversed().map { UInt8(truncatingIfNeeded: word >> (8 * UInt32($0))) } }
    }

    /// A block's sixteen big-endian words.
    private static func words(_ block: [UInt8]) -> [UInt32] {
        (0..<16).map { (i: Int) -> UInt32 in
            block[4 * i..<4 * i + 4].reduce(UInt32(0)) { word, byte in word << 8 | UInt32(byte) }
        }
    }
}
