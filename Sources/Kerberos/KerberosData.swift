internal import CKerberos

/// libkrb5's byte strings. Input is lent in place (libkrb5 reads input data and never frees or keeps
/// it); output is copied out before the caller frees libkrb5's buffer.
extension krb5_data {
    static func borrowing(_ bytes: UnsafeRawBufferPointer) -> krb5_data {
        krb5_data(
            magic: 0, length: UInt32(bytes.count),
            data: UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: CChar.self)))
    }

    var bytes: [UInt8] {
        Array(UnsafeRawBufferPointer(start: data, count: Int(length)))
    }
}
