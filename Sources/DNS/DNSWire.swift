import AdjoinCore

/// Record types and classes this project writes or reads (RFC 1035, 2136, 2845, 2930).
public enum DNSType {
    public static let a: UInt16 = 1
    public static let soa: UInt16 = 6
    public static let ptr: UInt16 = 12
    public static let aaaa: UInt16 = 28
    public static let srv: UInt16 = 33
    public static let tkey: UInt16 = 249
    public static let tsig: UInt16 = 250
    public static let any: UInt16 = 255
}

public enum DNSClass {
    public static let internet: UInt16 = 1
    /// RFC 2136 2.5.4: in an update, "delete this one RR".
    public static let none: UInt16 = 254
    /// RFC 2136 2.5.2: in an update, "delete the RRset"; TKEY and TSIG records are of this class too.
    public static let any: UInt16 = 255
}

/// A name or value that cannot be put on the wire.
public struct DNSEncodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Builds a message: big-endian integers, and names in uncompressed wire form (nothing this
/// project sends is big enough for compression to matter, and uncompressed names are what a
/// TSIG's MAC covers anyway).
package struct DNSWriter {
    package private(set) var bytes: [UInt8] = []

    package init() {}

    package mutating func uint8(_ value: UInt8) { bytes.append(value) }

    package mutating func uint16(_ value: UInt16) {
        bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
    }

    package mutating func uint32(_ value: UInt32) {
        bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// TSIG's 48-bit "time signed".
    package mutating func uint48(_ value: UInt64) {
        for shift in stride(from: 40, through: 0, by: -8) { bytes.append(UInt8(value >> UInt64(shift) & 0xFF)) }
    }

    package mutating func append<Bytes: Sequence>(_ more: Bytes) where Bytes.Element == UInt8 {
        bytes += more
    }

    /// `name` in wire form. `canonical`: lower-cased (RFC 4034 6.2), as a TSIG's MAC covers the key and
    /// algorithm names.
    package mutating func name(_ name: String, canonical: Bool = false) throws(DNSEncodeError) {
        bytes += try DNSWriter.wireName(name, canonical: canonical)
    }

    package static func wireName(_ name: String, canonical: Bool = false) throws(DNSEncodeError) -> [UInt8] {
        var text = canonical ? name.lowercased() : name
        if text.hasSuffix(".") { text.removeLast() }
        var wire: [UInt8] = []
        if !text.isEmpty {
            for label in text.split(separator: ".", omittingEmptySubsequences: false) {
                let bytes = Array(label.utf8)
                guard !bytes.isEmpty else { throw DNSEncodeError("the name \(name) has an empty label") }
                guard bytes.count <= CompressedName.maxLabel else {
                    throw DNSEncodeError("a label of \(name) is longer than \(CompressedName.maxLabel) bytes")
                }
                wire.append(UInt8(bytes.count))
                wire += bytes
            }
        }
        wire.append(0)
        guard wire.count <= CompressedName.maxName else {
            throw DNSEncodeError("the name \(name) is longer than \(CompressedName.maxName) bytes")
        }
        return wire
    }
}

extension ByteReader {
    package mutating func uint48BigEndian(_ what: String) throws(DecodeError) -> UInt64 {
        let high = UInt64(try uint16BigEndian(what))
        return high << 32 | UInt64(try uint32BigEndian(what))
    }
}
