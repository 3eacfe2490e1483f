import AdjoinCore
import Foundation
import Kerberos
import Testing
import TestSupport
@testable import Membership

/// A host made from an image of a joined host carries that host's join record, keytab and caches. Every
/// command compares the record's identity with the host's own before it acts; these tests need no
/// directory: a copy is found before anything goes on the wire (the DC named here does not exist).
@Suite struct CopiedHostTests {
    static let builderMachineID = "0123456789abcdef0123456789abcdef"
    static let copyMachineID = "fedcba9876543210fedcba9876543210"

    /// An image root joined as WEB1 by the machine whose machine-id is `builderMachineID`, with a foreign
    /// keytab entry, a kept original of krb5.conf, and sssd caches; then its machine-id set to `machineID`.
    struct JoinedImage {
        let scratch: ScratchRoot
        var root: URL { scratch.url }
        var files: HostFiles { scratch.files }
        let record: JoinRecord

        init(machineID: String, identity: String? = nil) throws {
            scratch = ScratchRoot("adjoin-copy")
            let files = scratch.files
            try files.writeOwn(Array((CopiedHostTests.builderMachineID + "\n").utf8), to: "/etc/machine-id", mode: 0o444)
            let builder = try AccountOwner.machine(files: files)
            var record = JoinRecord(
                domain: "corp.example.com", realm: "CORP.EXAMPLE.COM", computerName: "WEB1", hostFQDN: "web1.corp.example.com",
                computerDN: "CN=WEB1,OU=Linux Servers,DC=corp,DC=example,DC=com", owner: builder.value,
                keytabPath: "/etc/krb5.keytab", configured: true)
            record.identity = identity ?? builder.value
            record.domainControllers = ["127.0.0.1:9"]
            self.record = record
            try record.write(files)
            // The image's keytab before the join held one foreign key; the join added WEB1's.
            let foreign = KeytabEntry(
                components: ["HTTP", "web.other.example.org"], realm: "OTHER.EXAMPLE.ORG", timestamp: 1, kvno: 3,
                enctype: 18, key: SecretBytes(Array(repeating: 7, count: 32)))
            try files.writeOwn(KeytabFormat.encode([foreign]), to: "/etc/krb5.keytab", mode: 0o600)
            let machine = record.keytab(files: files).principals.map { principal in
                KeytabEntry(
                    components: principal.components, realm: "CORP.EXAMPLE.COM", timestamp: 2, kvno: 1, enctype: 18,
                    key: SecretBytes(Array(repeating: 9, count: 32)))
            }
            try files.write(KeytabFormat.encode([foreign] + machine), to: "/etc/krb5.keytab", mode: 0o600)
            try files.writeOwn(Array("[libdefaults]\n".utf8), to: "/etc/krb5.conf", mode: 0o644)
            try files.write(Array("[libdefaults]\n\tdefault_realm = CORP.EXAMPLE.COM\n".utf8), to: "/etc/krb5.conf", mode: 0o644)
            try files.writeOwn(Array("builder's cached users".utf8), to: "/var/lib/sss/db/cache_corp.example.com.ldb", mode: 0o600)
            try files.writeOwn(Array((machineID + "\n").utf8), to: "/etc/machine-id", mode: 0o444)
        }

        func remove() { scratch.remove() }

        var place: DirectoryPlace { DirectoryPlace(files: files) }

        func keytabPrincipals() throws -> [String] {
            try KeytabFormat.decode(try #require(try files.read("/etc/krb5.keytab"))).map(\.principal).sorted()
        }
    }

    /// Answers with one instance id; any question that was not expected is a failure.
    final class InstanceIDStub: InstanceIDReader {
        let answer: String?
        private(set) var asked = 0
        init(answer: String?) { self.answer = answer }
        func instanceID(deadline: Deadline) throws(AdjoinError) -> String {
            asked += 1
            guard let answer else {
                Issue.record("instance metadata was asked, though the record names no instance id")
                throw AdjoinError(.unknownError, "unexpected question")
            }
            return answer
        }
    }

    @Test func identitiesKnowWhatTheyAreMadeFrom() {
        #expect(AccountOwner("i-0123456789abcdef0").kind == .instance)
        #expect(AccountOwner("i-0abc1234").kind == .instance)
        #expect(AccountOwner("machine:5010a8482393de74").kind == .machine)
        for other in ["i-1", "i-0123456789ABCDEF0", "i-0123456789abcdef0x", "web1", ""] {
            #expect(AccountOwner(other).kind == .other, "\(other)")
        }
    }

    @Test func theRecordKeepsTheIdentityApartFromTheOwner() throws {
        var record = JoinRecordTests.record
        record.owner = "ops-team-host-7"
        record.identity = "machine:5010a8482393de74"
        let parsed = try JoinRecord.parse(record.rendered())
        #expect(parsed.identity == "machine:5010a8482393de74")
        #expect(parsed.owner == "ops-team-host-7")
        // A record written before identities were recorded: the owner was the identity.
        let old = record.rendered().split(separator: "\n").filter { !$0.hasPrefix("identity=") }.joined(separator: "\n")
        #expect(try JoinRecord.parse(old).identity == "ops-team-host-7")
    }

    @Test func aNewMachineIDMakesACopy() throws {
        let image = try JoinedImage(machineID: Self.copyMachineID)
        defer { image.remove() }
        let copy = try CurrentIdentity(files: image.files, instance: InstanceIDStub(answer: nil))
            .copy(of: AccountOwner(image.record.identity), deadline: Deadline(seconds: 5))
        #expect(copy?.recorded.value == image.record.identity)
        #expect(copy?.current == (try AccountOwner.machine(files: image.files)))
        #expect(copy?.current != copy?.recorded)

        let same = try JoinedImage(machineID: Self.builderMachineID)
        defer { same.remove() }
        #expect(
            try CurrentIdentity(files: same.files, instance: InstanceIDStub(answer: nil))
                .copy(of: AccountOwner(same.record.identity), deadline: Deadline(seconds: 5)) == nil)
    }

    @Test func anInstanceIdIsAskedOfMetadataAndOnlyThen() throws {
        let recorded = AccountOwner("i-0aaaaaaaaaaaaaaaa")
        let files = HostFiles(root: "/nonexistent-root")
        let other = InstanceIDStub(answer: "i-0bbbbbbbbbbbbbbbb")
        let copy = try CurrentIdentity(files: files, instance: other).copy(of: recorded, deadline: Deadline(seconds: 5))
        #expect(copy == HostCopy(recorded: recorded, current: AccountOwner("i-0bbbbbbbbbbbbbbbb")))
        #expect(other.asked == 1)
        let itself = InstanceIDStub(answer: recorded.value)
        #expect(try CurrentIdentity(files: files, instance: itself).copy(of: recorded, deadline: Deadline(seconds: 5)) == nil)
        // Off EC2 nothing can be asked: an instance id recorded there cannot be checked, and is not guessed at.
        #expect(try CurrentIdentity(files: files, instance: nil).copy(of: recorded, deadline: Deadline(seconds: 5)) == nil)
        // An owner chosen with --owner says nothing about which host this is.
        #expect(
            try CurrentIdentity(files: files, instance: InstanceIDStub(answer: nil)).copy(
                of: AccountOwner("ops-7"), deadline: Deadline(seconds: 5)) == nil)
    }

    @Test func metadataThatDoesNotAnswerIsNotTakenForTheSameHost() {
        final class Unreachable: InstanceIDReader {
            func instanceID(deadline: Deadline) throws(AdjoinError) -> String { throw .network("cannot reach instance metadata") }
        }
        let identity = CurrentIdentity(files: HostFiles(root: "/nonexistent-root"), instance: Unreachable())
        #expect(throws: AdjoinError.self) { try identity.copy(of: AccountOwner("i-0aaaaaaaaaaaaaaaa"), deadline: Deadline(seconds: 5)) }
    }

    @Test func statusOnACopySaysSoAndChecksNothingElse() throws {
        let image = try JoinedImage(machineID: Self.copyMachineID)
        defer { image.remove() }
        let report = HostHealth(place: image.place).run(
            deadline: Deadline(seconds: 5), identity: CurrentIdentity(files: image.files, instance: nil))
        #expect(report.status == .cloned)
        #expect(report.checks.map(\.name) == ["joined"])
        let current = try AccountOwner.machine(files: image.files).value
        #expect(report.message.contains(image.record.identity) && report.message.contains(current), "\(report.message)")
        #expect(Status.cloned.exitCode == 25)

        // The host that joined goes on to its keytab (and, here, to a DC that is not there).
        let original = try JoinedImage(machineID: Self.builderMachineID)
        defer { original.remove() }
        let healthy = HostHealth(place: original.place).run(
            deadline: Deadline(seconds: 3), identity: CurrentIdentity(files: original.files, instance: nil))
        #expect(healthy.status != .cloned)
        #expect(healthy.checks.first?.passed == true)
        #expect(healthy.checks.map(\.name).contains("keytab"))
    }

    @Test func rotateOnACopyRefusesBeforeAnythingGoesOnTheWire() throws {
        let image = try JoinedImage(machineID: Self.copyMachineID)
        defer { image.remove() }
        let before = try image.files.read("/etc/krb5.keytab")
        do {
            _ = try PasswordRotation(place: image.place, maximumAgeDays: 0)
                .run(deadline: Deadline(seconds: 5), identity: CurrentIdentity(files: image.files, instance: nil))
            Issue.record("a copy rotated the password of the host it was made from")
        } catch {
            #expect(error.status == .cloned)
            #expect(error.message.contains("WEB1$") && error.message.contains(image.record.identity), "\(error.message)")
        }
        #expect(try image.files.read("/etc/krb5.keytab") == before)
    }

    @Test func leaveOnACopyCleansOnlyTheCopy() throws {
        let image = try JoinedImage(machineID: Self.copyMachineID)
        defer { image.remove() }
        let result = try HostLeave(place: image.place).run(
            deadline: Deadline(seconds: 5), identity: CurrentIdentity(files: image.files, instance: nil))
        #expect(result.status == .detached)
        #expect(result.copyOf == image.record.identity)
        #expect(result.removed.isEmpty && !result.accountWasGone)
        #expect(result.domainController == nil, "no DC was asked")
        #expect(result.message.contains("left \(image.record.identity)'s account CN=WEB1"), "\(result.message)")
        // The image as it was before the join: the foreign key alone, krb5.conf's original, no record, no caches.
        #expect(try image.keytabPrincipals() == ["HTTP/web.other.example.org@OTHER.EXAMPLE.ORG"])
        #expect(try image.files.read("/etc/krb5.conf") == Array("[libdefaults]\n".utf8))
        #expect(try JoinRecord.read(image.files) == nil)
        #expect(try image.files.files(in: "/var/lib/sss/db").isEmpty)
        #expect(try image.files.keptOriginals().isEmpty)
    }

    @Test func aCopyDiscardsWhatItInheritedAndKeepsTheImagesOriginals() throws {
        let image = try JoinedImage(machineID: Self.copyMachineID)
        defer { image.remove() }
        let originalsBefore = try image.files.keptOriginals().filter { $0.hostPath != "/etc/krb5.keytab" }
        try HostCleanup(files: image.files, progress: { _ in }).discardInherited(image.record, deadline: Deadline(seconds: 5))
        #expect(try image.keytabPrincipals() == ["HTTP/web.other.example.org@OTHER.EXAMPLE.ORG"], "the builder's keys are gone")
        #expect(try JoinRecord.read(image.files) == nil)
        #expect(try image.files.files(in: "/var/lib/sss/db").isEmpty, "the builder's cached users are gone")
        // krb5.conf is not touched: the join that follows rewrites it, and leave still restores the image's own.
        #expect(try image.files.read("/etc/krb5.conf") == Array("[libdefaults]\n\tdefault_realm = CORP.EXAMPLE.COM\n".utf8))
        #expect(try image.files.keptOriginals().filter { $0.hostPath != "/etc/krb5.keytab" } == originalsBefore)
        #expect(!originalsBefore.isEmpty)
    }
}
