import AdjoinCore
import Foundation
import Testing
@testable import Membership
import TestSupport

/// The entry that lets a machine delete its own account, added to a computer's DACL.
@Suite struct SelfDeletionGrantTests {
    /// nTSecurityDescriptor of a computer adjoin joined to the lab's Samba 4.17 DC, read back from the DC
    /// with the SD flags control (DACL only) after the join's modify: the DC's own serialization.
    static let stored = Array(
        Data(
            base64Encoded: """
                AQAEhAAAAAAAAAAAAAAAABQAAAAEAEQILAAAAAAAFABAAAEAAQEAAAAAAAUKAAAAAAAkAP8BDwABBQAAAAAABRUAAABFjqj+CT/xYd8E9iUAAg
                AAAAAYAP8BDwABAgAAAAAABSAAAAAkAgAAAAAUAP8BDwABAQAAAAAABRIAAAAAACQA1AEDAAEFAAAAAAAFFQAAAEWOqP4JP/Fh3wT2JVAEAAAF
                ADgAIAAAAAEAAAAAQhZMwCDQEadoAKoAbgUpAQUAAAAAAAUVAAAARY6o/gk/8WHfBPYlUAQAAAAAFACUAAIAAQEAAAAAAAULAAAABQAoAAABAA
                ABAAAAUxpyqy8e0BGYGQCqAEBSmwEBAAAAAAABAAAAAAAAFAADAAAAAQEAAAAAAAUKAAAABQAsAAMAAAABAAAAqHqWv+YN0BGihQCqADBJ4gEC
                AAAAAAAFIAAAACYCAAAFADgAMAAAAAEAAAB/epa/5g3QEaKFAKoAMEniAQUAAAAAAAUVAAAARY6o/gk/8WHfBPYlBQIAAAUAKAAIAAAAAQAAAI
                hHpvMGU9ERqcUAAPgDZ8EBAQAAAAAABQoAAAAFACgAMAAAAAEAAACGuLV3SpTREa69AAD4A2fBAQEAAAAAAAUKAAAABQAoAAgAAAABAAAAR5Xj
                chh70RGt7wDAT9jVzQEBAAAAAAAFCgAAAAUAOAAIAAAAAQAAAEeV43IYe9ERre8AwE/Y1c0BBQAAAAAABRUAAABFjqj+CT/xYd8E9iVQBAAABQ
                A4AAgAAAABAAAAiEem8wZT0RGpxQAA+ANnwQEFAAAAAAAFFQAAAEWOqP4JP/Fh3wT2JVAEAAAFAEgAIAAAAAMAAADQvwo+ahLQEaBgAKoAbDPt
                hnqWv+YN0BGihQCqADBJ4gEFAAAAAAAFFQAAAEWOqP4JP/Fh3wT2JVAEAAAFAEgAIAAAAAMAAAAQICBfpXnQEZAgAMBPwtTPhnqWv+YN0BGihQ
                CqADBJ4gEFAAAAAAAFFQAAAEWOqP4JP/Fh3wT2JVAEAAAFAEgAIAAAAAMAAABQeZa/5g3QEaKFAKoAMEnihnqWv+YN0BGihQCqADBJ4gEFAAAA
                AAAFFQAAAEWOqP4JP/Fh3wT2JVAEAAAFAEgAIAAAAAMAAABTeZa/5g3QEaKFAKoAMEnihnqWv+YN0BGihQCqADBJ4gEFAAAAAAAFFQAAAEWOqP
                4JP/Fh3wT2JVAEAAAFACwAEAAAAAEAAAAdsalGrmBaQLfo/4pY1FbSAQIAAAAAAAUgAAAAMAIAAAAQJAD/AQ8AAQUAAAAAAAUVAAAARY6o/gk/
                8WHfBPYlUAQAAAUaOAAAAAAQAgAAAIZ6lr/mDdARooUAqgAwSeIBBQAAAAAABRUAAABFjqj+CT/xYd8E9iVQBAAABRI4AAMAAAABAAAAhnqWv+
                YN0BGihQCqADBJ4gEFAAAAAAAFFQAAAEWOqP4JP/Fh3wT2JVAEAAAFGjwAEAAAAAMAAAAAQhZMwCDQEadoAKoAbgUpFMwoSDcUvEWbB61vAV5f
                KAECAAAAAAAFIAAAACoCAAAFGjwAEAAAAAMAAAAAQhZMwCDQEadoAKoAbgUpunqWv+YN0BGihQCqADBJ4gECAAAAAAAFIAAAACoCAAAFGjwAEA
                AAAAMAAAAQICBfpXnQEZAgAMBPwtTPFMwoSDcUvEWbB61vAV5fKAECAAAAAAAFIAAAACoCAAAFGjwAEAAAAAMAAAAQICBfpXnQEZAgAMBPwtTP
                unqWv+YN0BGihQCqADBJ4gECAAAAAAAFIAAAACoCAAAFGjwAEAAAAAMAAABAwgq8qXnQEZAgAMBPwtTPFMwoSDcUvEWbB61vAV5fKAECAAAAAA
                AFIAAAACoCAAAFGjwAEAAAAAMAAABAwgq8qXnQEZAgAMBPwtTPunqWv+YN0BGihQCqADBJ4gECAAAAAAAFIAAAACoCAAAFGjwAEAAAAAMAAABC
                L7pZonnQEZAgAMBPwtPPFMwoSDcUvEWbB61vAV5fKAECAAAAAAAFIAAAACoCAAAFGjwAEAAAAAMAAABCL7pZonnQEZAgAMBPwtPPunqWv+YN0B
                GihQCqADBJ4gECAAAAAAAFIAAAACoCAAAFGjwAEAAAAAMAAAD4iHAD4QrSEbQiAKDJaPk5FMwoSDcUvEWbB61vAV5fKAECAAAAAAAFIAAAACoC
                AAAFGjwAEAAAAAMAAAD4iHAD4QrSEbQiAKDJaPk5unqWv+YN0BGihQCqADBJ4gECAAAAAAAFIAAAACoCAAAFEjgAEAAAAAMAAABtnsa3xyzSEY
                VOAKDJg/YIhnqWv+YN0BGihQCqADBJ4gEBAAAAAAAFCQAAAAUaOAAQAAAAAwAAAG2exrfHLNIRhU4AoMmD9gicepa/5g3QEaKFAKoAMEniAQEA
                AAAAAAUJAAAABRo4ABAAAAADAAAAbZ7Gt8cs0hGFTgCgyYP2CLp6lr/mDdARooUAqgAwSeIBAQAAAAAABQkAAAAFGiwAlAACAAIAAAAUzChINx
                S8RZsHrW8BXl8oAQIAAAAAAAUgAAAAKgIAAAUaLACUAAIAAgAAAJx6lr/mDdARooUAqgAwSeIBAgAAAAAABSAAAAAqAgAABRosAJQAAgACAAAA
                unqWv+YN0BGihQCqADBJ4gECAAAAAAAFIAAAACoCAAAFEigAMAEAAAEAAADeR+aRb9lwS5VX1j/088zYAQEAAAAAAAUKAAAAABIkAP8BDwABBQ
                AAAAAABRUAAABFjqj+CT/xYd8E9iUHAgAAABIYAAQAAAABAgAAAAAABSAAAAAqAgAAABIYAL0BDwABAgAAAAAABSAAAAAgAgAA
                """.replacingOccurrences(of: "\n", with: "").replacingOccurrences(of: " ", with: ""))!)

    /// The same descriptor without adjoin's entry (the first ACE at byte 28, 20 bytes), as the DC held it
    /// before the modify: ACL size and count one entry less.
    static var beforeGrant: [UInt8] {
        var bytes = stored
        bytes.removeSubrange(28..<48)
        let size = Int(bytes[22]) | Int(bytes[23]) << 8
        let count = Int(bytes[24]) | Int(bytes[25]) << 8
        bytes[22] = UInt8((size - 20) & 0xFF); bytes[23] = UInt8((size - 20) >> 8)
        bytes[24] = UInt8((count - 1) & 0xFF); bytes[25] = UInt8((count - 1) >> 8)
        return bytes
    }

    @Test func theCapturedDescriptorHoldsTheEntryFirst() {
        // type ACCESS_ALLOWED, no flags, 20 bytes, DELETE | DELETE_TREE, S-1-5-10
        #expect(Array(Self.stored[28..<48]) == [0, 0, 20, 0, 0x40, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 5, 10, 0, 0, 0])
        #expect(Array(Self.stored[28..<48]) == SelfDeletionGrant.entry)
    }

    @Test func addingToTheDCsDescriptorGivesWhatTheDCStored() throws {
        #expect(try SelfDeletionGrant.adding(to: Self.beforeGrant) == Self.stored)
    }

    @Test func aDescriptorThatGrantsItAlreadyIsLeftAlone() throws {
        #expect(try SelfDeletionGrant.adding(to: Self.stored) == nil)
    }

    /// Explicit deny entries stay first (canonical order); parts after the DACL move with it.
    @Test func theEntryGoesAfterExplicitDenialsAndLaterPartsMove() throws {
        let everyone: [UInt8] = [1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]  // S-1-1-0
        let deny: [UInt8] = [0x01, 0, 20, 0, 0x00, 0x00, 0x01, 0x00] + everyone  // deny DELETE to Everyone
        let inheritedAllow: [UInt8] = [0x00, 0x10, 20, 0, 0xFF, 0x01, 0x0F, 0x00] + everyone
        let acl: [UInt8] = [4, 0, UInt8(8 + deny.count + inheritedAllow.count), 0, 2, 0, 0, 0] + deny + inheritedAllow
        let ownerOffset = 20 + acl.count
        var descriptor: [UInt8] = [1, 0, 0x04, 0x84]  // DACL present, self-relative
        descriptor += le32(UInt32(ownerOffset)) + le32(0) + le32(0) + le32(20)
        descriptor += acl + everyone  // owner after the DACL
        let edited = try #require(try SelfDeletionGrant.adding(to: descriptor))
        #expect(edited.count == descriptor.count + 20)
        #expect(Array(edited[28..<48]) == deny)
        #expect(Array(edited[48..<68]) == SelfDeletionGrant.entry)
        #expect(Array(edited[68..<88]) == inheritedAllow)
        #expect(edited[22] == UInt8(8 + 60) && edited[24] == 3)
        #expect(Array(edited[4..<8]) == le32(UInt32(ownerOffset + 20)))
        #expect(Array(edited[(ownerOffset + 20)...]) == everyone)
        #expect(try SelfDeletionGrant.adding(to: edited) == nil)
    }

    @Test(arguments: [[UInt8](), [1, 0, 0x04, 0x84], [2] + [UInt8](repeating: 0, count: 19)])
    func malformedDescriptorsAreRefused(bytes: [UInt8]) {
        #expect(throws: DecodeError.self) { try SelfDeletionGrant.adding(to: bytes) }
    }

    @Test func aTruncatedDACLIsRefused() {
        #expect(throws: DecodeError.self) { try SelfDeletionGrant.adding(to: Array(Self.beforeGrant.prefix(200))) }
    }

    @Test func aDescriptorWithoutADACLIsRefused() {
        var bytes = Self.beforeGrant
        bytes[2] = 0; bytes[3] = 0x80  // no SE_DACL_PRESENT
        #expect(throws: DecodeError.self) { try SelfDeletionGrant.adding(to: bytes) }
    }

    private func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) } }
}

/// The grant with the DACL already in hand (the account search or the add's own round trip read it):
/// only the write goes out, with the entry added; the scripted directory fails loudly on a search.
@Suite struct SelfDeletionGrantWriteTests {
    @Test func aDescriptorAlreadyReadIsWrittenWithoutAnotherSearch() throws {
        let dn = "CN=WEB1,CN=Computers,DC=corp,DC=example,DC=com"
        let directory = try FakeDirectory(
            controller: FakeDirectory.controller("dc1.corp.example.com", domain: "corp.example.com"),
            realm: "CORP.EXAMPLE.COM", [.modify(dn: dn, attributes: ["nTSecurityDescriptor"])])
        let target = AccountTarget(
            domain: try DomainName("corp.example.com"), computerName: try ComputerName(hostFQDN: "web1.corp.example.com"),
            hostFQDN: "web1.corp.example.com", owner: nil, organizationalUnit: nil, osRelease: nil,
            actor: "adjoiner@CORP.EXAMPLE.COM")
        let account = ComputerAccount(target: target, session: directory)
        #expect(try account.grantSelfDeletion(dn, read: SelfDeletionGrantTests.beforeGrant, deadline: Deadline(seconds: 10)))
        directory.script.finish()
        guard case .replace(let written)? = directory.modified[dn]?.first else {
            Issue.record("no DACL written: \(String(describing: directory.modified[dn]))")
            return
        }
        #expect(written.values == [SelfDeletionGrantTests.stored])
    }
}
