import AdjoinCore
import Foundation
import Testing
import TestSupport
@testable import Agent
@testable import AWS
@testable import Membership

/// A join with flags on an EC2 instance records the instance id (with its account and Region), as the
/// agent's own path does: firmware says EC2, then instance metadata is asked, and only then.
@Suite struct FlagJoinIdentityTests {
    struct Firmware: HostFirmware {
        let sign: String?
        func ec2Sign() -> String? { sign }
    }

    static let document =
        #"{"instanceId": "i-0fedcba9876543210", "accountId": "111122223333", "region": "eu-west-1", "availabilityZone": "eu-west-1a"}"#

    func identity(firmware: String?, root: String = "/", _ steps: [HTTPStep]) -> (AccountOwner?, [String], FakeHTTPTransport) {
        let transport = FakeHTTPTransport(steps)
        var environment = AWSEnvironment(variables: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://192.0.2.1"])
        environment.makeTransport = { transport }
        let lines = Locked<[String]>([])
        let context = RunContext(
            deadline: Deadline(seconds: 10), progress: { line in lines.withLock { $0.append(line) } },
            files: HostFiles(root: root), environment: environment, firmware: Firmware(sign: firmware))
        var options = JoinUseCase.Options(directory: DirectoryFlags())
        options.settings.set(.domain, "corp.example.com")
        let found = JoinUseCase(options).flagJoinEC2Identity(context, state: JoinAttempts(domainName: nil, environment: environment))
        return (found, lines.withLock { $0 }, transport)
    }

    @Test func onEC2TheInstanceIdWithItsAccountAndRegionIsRecorded() {
        let (found, _, transport) = identity(
            firmware: "board asset tag i-0fedcba9876543210",
            [
                .answer("PUT", "/latest/api/token", status: 200, body: "scripted-token"),
                .answer("GET", "/latest/dynamic/instance-identity/document", status: 200, body: Self.document),
            ])
        transport.script.finish()
        #expect(found?.value == "i-0fedcba9876543210")
        #expect(found?.location == OwnerLocation(accountId: "111122223333", region: "eu-west-1"))
    }

    @Test func offEC2MetadataIsNeverAsked() {
        let (found, lines, transport) = identity(firmware: nil, [])
        transport.script.finish()
        #expect(found == nil)
        #expect(lines.isEmpty)
    }

    @Test func anImageUnderRootIsNotThisMachine() {
        let (found, _, transport) = identity(firmware: "system vendor Amazon EC2", root: "/mnt/image", [])
        transport.script.finish()
        #expect(found == nil)
    }

    /// Joined before under its machine-id hash (adjoin 0.1 on EC2 with flags): a rerun keeps that identity,
    /// which its account's marker names. A record of another identity (a copy's) does not count.
    @Test func aHostJoinedUnderItsMachineIdKeepsIt() throws {
        let scratch = ScratchRoot("adjoin-flagjoin")
        defer { scratch.remove() }
        let root = scratch.url
        try FileManager.default.createDirectory(at: root.appendingPathComponent("etc"), withIntermediateDirectories: true)
        try Data("0123456789abcdef0123456789abcdef\n".utf8).write(to: root.appendingPathComponent("etc/machine-id"))
        let files = HostFiles(root: root.path)
        #expect(!JoinUseCase.joinedUnderMachineID(files), "no record")
        var record = JoinRecord(
            domain: "corp.example.com", realm: "CORP.EXAMPLE.COM", computerName: "WEB1", hostFQDN: "web1.corp.example.com",
            computerDN: "CN=WEB1,DC=corp,DC=example,DC=com", owner: try AccountOwner.machine(files: files).value,
            keytabPath: "/etc/krb5.keytab", configured: false)
        try record.write(files)
        #expect(JoinUseCase.joinedUnderMachineID(files))
        record.identity = "i-0123456789abcdef0"
        try record.write(files)
        #expect(!JoinUseCase.joinedUnderMachineID(files), "an instance's record")
        try Data("fedcba9876543210fedcba9876543210\n".utf8).write(to: root.appendingPathComponent("etc/machine-id"))
        record.identity = record.owner
        try record.write(files)
        #expect(!JoinUseCase.joinedUnderMachineID(files), "another machine's record (a copy with a new machine id)")
    }

    @Test func metadataThatDoesNotAnswerLeavesTheMachineIdAndSaysSo() {
        let (found, lines, transport) = identity(
            firmware: "system vendor Amazon EC2",
            [
                .answer("PUT", "/latest/api/token", status: 403)
            ])
        transport.script.finish()
        #expect(found == nil)
        #expect(
            lines.contains {
                $0.contains("this is an EC2 instance (system vendor Amazon EC2), but instance metadata did not give its id")
                    && $0.contains("recording the machine-id hash")
            }, "\(lines)")
    }
}

/// The firmware's signs of EC2, read from a sysfs tree of the test's own.
@Suite struct SystemFirmwareTests {
    func sign(_ files: [String: String]) throws -> String? {
        let scratch = ScratchRoot("adjoin-sys")
        defer { scratch.remove() }
        let sys = scratch.url
        for (path, text) in files {
            let url = sys.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        try FileManager.default.createDirectory(at: sys, withIntermediateDirectories: true)
        return SystemFirmware(sys: sys.path).ec2Sign()
    }

    @Test func nitroNamesItsInstanceInTheBoardAssetTag() throws {
        #expect(try sign(["devices/virtual/dmi/id/board_asset_tag": "i-0123456789abcdef0\n"]) == "board asset tag i-0123456789abcdef0")
    }

    @Test func theSystemVendorAndXensUUIDAreSignsToo() throws {
        #expect(try sign(["devices/virtual/dmi/id/sys_vendor": "Amazon EC2\n"]) == "system vendor Amazon EC2")
        #expect(
            try sign(["hypervisor/uuid": "ec2e1916-9099-7caf-fd21-012345abcdef\n"])
                == "Xen hypervisor UUID ec2e1916-9099-7caf-fd21-012345abcdef")
    }

    @Test func otherMachinesAreNotEC2() throws {
        #expect(try sign([:]) == nil)
        #expect(
            try sign([
                "devices/virtual/dmi/id/sys_vendor": "QEMU\n", "devices/virtual/dmi/id/board_asset_tag": "Not Specified\n",
                "hypervisor/uuid": "4c4c4544-0042-3510-8052-b4c04f4e4a31\n",
            ]) == nil)
    }
}
