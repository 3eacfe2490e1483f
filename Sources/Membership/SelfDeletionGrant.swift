import AdjoinCore

/// The one access-control entry a join adds to its computer object, so that the machine can later
/// remove its own account with nothing but its keytab (`adjoin leave`): allow DELETE and DELETE_TREE
/// to PRINCIPAL_SELF (S-1-5-10), which the directory reads as the object's own SID.
///
/// Why it is needed: AD's default security descriptor for the computer class (its schema's
/// defaultSecurityDescriptor) gives SELF only validated writes and create/delete of children, and a
/// delete needs DELETE on the object or DELETE_CHILD on its parent; a tree delete needs DELETE_TREE on
/// the object (MS-ADTS 3.1.1.5.5). Samba checks the same and refuses a machine's delete of itself.
///
/// The DACL is edited as MS-DTYP 2.4.5/2.4.6 lay it out (self-relative descriptor, ACL header, ACEs,
/// little-endian): the entry goes after the explicit deny entries, before the other explicit allows
/// and the inherited ones, which is where Windows' canonical order puts it.
public enum SelfDeletionGrant {
    /// DELETE (0x00010000) | ADS_RIGHT_DS_DELETE_TREE (0x40).
    static let mask: UInt32 = 0x0001_0040
    /// S-1-5-10: revision 1, one sub-authority, NT authority 5, sub-authority 10.
    static let principalSelf: [UInt8] = [1, 1, 0, 0, 0, 0, 0, 5, 10, 0, 0, 0]
    static let accessAllowed: UInt8 = 0x00
    static let inheritOnly: UInt8 = 0x08
    static let inherited: UInt8 = 0x10

    /// The ACE itself: type ACCESS_ALLOWED, no flags, size, mask, SID.
    static var entry: [UInt8] {
        let size = UInt16(8 + principalSelf.count)
        return [accessAllowed, 0] + le16(size) + le32(mask) + principalSelf
    }

    /// `descriptor` (self-relative, as nTSecurityDescriptor holds it) with the entry added to its DACL;
    /// nil when the DACL already grants it.
    public static func adding(to descriptor: [UInt8]) throws(DecodeError) -> [UInt8]? {
        var header = ByteReader(descriptor)
        guard try header.uint8("descriptor revision") == 1 else { throw DecodeError("not a revision 1 security descriptor", at: 0) }
        _ = try header.uint8("padding")
        let control = try header.uint16LittleEndian("control")
        let ownerOffset = Int(try header.uint32LittleEndian("owner offset"))
        let groupOffset = Int(try header.uint32LittleEndian("group offset"))
        let saclOffset = Int(try header.uint32LittleEndian("SACL offset"))
        let daclOffset = Int(try header.uint32LittleEndian("DACL offset"))
        guard control & 0x0004 != 0, daclOffset >= 20 else { throw DecodeError("the descriptor has no DACL", at: 2) }

        var acl = ByteReader(descriptor, offset: daclOffset)
        _ = try acl.uint8("ACL revision")
        _ = try acl.uint8("padding")
        let aclSize = Int(try acl.uint16LittleEndian("ACL size"))
        let count = Int(try acl.uint16LittleEndian("ACE count"))
        _ = try acl.uint16LittleEndian("padding")
        guard daclOffset + aclSize <= descriptor.count else { throw DecodeError("the DACL runs past the descriptor", at: daclOffset) }
        var insertAt: Int? = nil
        for _ in 0..<count {
            let start = acl.offset
            let type = try acl.uint8("ACE type")
            let flags = try acl.uint8("ACE flags")
            let size = Int(try acl.uint16LittleEndian("ACE size"))
            guard size >= 8, start + size <= daclOffset + aclSize else { throw DecodeError("an ACE runs past its ACL", at: start) }
            let isExplicitDeny = (type == 0x01 || type == 0x06) && flags & inherited == 0
            if !isExplicitDeny && insertAt == nil { insertAt = start }
            if type == accessAllowed, flags & inheritOnly == 0 {
                let granted = try acl.uint32LittleEndian("ACE mask")
                let sid = try acl.take(size - 8, "ACE SID")
                if granted & mask == mask && Array(sid) == principalSelf { return nil }
            } else {
                try acl.skip(size - 4, "ACE body")
            }
        }
        let at = insertAt ?? acl.offset
        let added = entry
        var result = Array(descriptor[..<at]) + added + Array(descriptor[at...])
        write16(&result, at: daclOffset + 2, UInt16(aclSize + added.count))
        write16(&result, at: daclOffset + 4, UInt16(count + 1))
        // Parts laid out after the DACL move by the entry's size.
        for (field, offset) in [(4, ownerOffset), (8, groupOffset), (12, saclOffset)] where offset > daclOffset {
            write32(&result, at: field, UInt32(offset + added.count))
        }
        return result
    }

    private static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    private static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) } }

    private static func write16(_ bytes: inout [UInt8], at offset: Int, _ value: UInt16) {
        bytes.replaceSubrange(offset..<offset + 2, with: le16(value))
    }

    private static func write32(_ bytes: inout [UInt8], at offset: Int, _ value: UInt32) {
        bytes.replaceSubrange(offset..<offset + 4, with: le32(value))
    }
}
