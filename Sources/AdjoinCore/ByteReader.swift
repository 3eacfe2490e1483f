/// Why a reply from the network could not be decoded. Replies come from the network, so every
/// read is bounds-checked and a bad reply is an error, never a crash or a read past the end.
public struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public let offset: Int

    public init(_ reason: String, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String { "\(reason) (at byte \(offset))" }
}

/// A cursor over untrusted bytes.
public struct ByteReader {
    public let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset >= bytes.count }

    private func require(_ count: Int, _ what: String) throws(DecodeError) {
        guard count >= 0, count <= remaining else {
            throw DecodeError("truncated \(what): need \(count) bytes, have \(max(0, remaining))", at: offset)
        }
    }

    public mutating func uint8(_ what: String = "byte") throws(DecodeError) -> UInt8 {
        try require(1, what)
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func uint16BigEndian(_ what: String = "16-bit field") throws(DecodeError) -> UInt16 {
        try require(2, what)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    public mutating func uint16LittleEndian(_ what: String = "16-bit field") throws(DecodeError) -> UInt16 {
        try require(2, what)
        defer { offset += 2 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    public mutating func uint32BigEndian(_ what: String = "32-bit field") throws(DecodeError) -> UInt32 {
        try require(4, what)
        defer { offset += 4 }
        return (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[offset + $1]) }
    }

    public mutating func uint32LittleEndian(_ what: String = "32-bit field") throws(DecodeError) -> UInt32 {
        try require(4, what)
        defer { offset += 4 }
        return (0..<4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[offset + $1]) }
    }

    public mutating func take(_ count: Int, _ what: String = "field") throws(DecodeError) -> ArraySlice<UInt8> {
        try require(count, what)
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    public mutating func skip(_ count: Int, _ what: String = "field") throws(DecodeError) {
        try require(count, what)
        offset += count
    }

    /// Moves to `offset` (for formats that point within themselves).
    public mutating func seek(to offset: Int) {
        self.offset = offset
    }
}
