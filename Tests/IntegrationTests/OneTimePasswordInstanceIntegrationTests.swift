import Foundation
import Testing
import TestSupport

/// The one-time-password join on an EC2 instance whose settings come from the parameter: the instance
/// reads its settings (domain, DCs, status table), but not the join password they name, and records
/// its status as any join does. Every AWS request is checked by the signature-checking proxy.
@Suite(.serialized, .needsLab) struct OneTimePasswordInstanceIntegrationTests {
    let lab: Lab
    let aws: AWSFixture
    let admin: AdminDirectory
    let table = "adjoin-status-" + UUID().uuidString.prefix(8).lowercased()

    init() throws {
        lab = try Lab.current()
        aws = try AWSFixture.current()
        admin = AdminDirectory(lab: lab)
        try aws.createStatusTable(table)
    }

    @Test func anInstanceJoinsItsPresetAccountWithoutReadingTheJoinPassword() throws {
        let hostname = "ip-10-8-\(Int.random(in: 0...255))-\(Int.random(in: 0...255))"
        let instance = try EC2Instance(hostname: hostname, tags: ["adGroupName": lab.loginGroup], tagsExposed: true)
        let name = hostname.uppercased()
        defer { try? admin.delete(name + "$") }
        // The settings name a join password, in a parameter of its own: the instance must not read it.
        let passwordParameter = "/adjoin-test/password-" + UUID().uuidString
        try aws.putSecureString(passwordParameter, value: String(decoding: try lab.joinPassword(), as: UTF8.self))
        let document: [String: Any] = [
            "domain": lab.domain, "domainControllers": [lab.dcIP], "joinUser": lab.joinUser,
            "joinPasswordParameter": passwordParameter, "statusTable": table,
        ]
        let parameter = "/adjoin-test/" + UUID().uuidString
        try aws.putSecureString(parameter, value: String(decoding: try JSONSerialization.data(withJSONObject: document), as: UTF8.self))

        let scratch = ScratchRoot("adjoin-root")
        defer { scratch.remove() }
        let root = scratch.url
        let file = root.appendingPathComponent("one-time-password")
        // The administrator's side: the account for this instance, its owner marker the instance id.
        let preset = try runAgent(
            [
                "preset", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--computer-name", name,
                "--ou", lab.organizationalUnit, "--owner", instance.instanceId, "--one-time-password-file", file.path,
                "--domain-controller", lab.dcIP,
            ], stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(preset.status == 0, "\(preset.stdout)\(preset.stderr)")

        let joined = try instance.runAgent(
            [
                "join", "--one-time-password-stdin", "--parameter", parameter, "--no-configure",
                "--root", root.path, "--output", "json",
            ], stdin: file)
        #expect(joined.status == 0, "\(joined.stdout)\(joined.stderr)")
        #expect(joined.stdout.contains("\"status\": \"JOINED\""))
        #expect(try aws.statusItem(table: table, instanceId: instance.instanceId)?["status"] == "JOINED")
        let verdicts = try instance.verdicts()
        #expect(verdicts.allSatisfy { $0.verdict == "verified" }, "\(verdicts)")
        #expect(
            verdicts.filter { $0.operation.hasSuffix("GetParameter") }.count == 1,
            "only the settings were read: \(verdicts.map(\.operation))")
        #expect(!verdicts.contains { $0.operation.hasSuffix("GetSecretValue") })
        let machine = try run(
            URL(fileURLWithPath: "/usr/bin/kinit"),
            ["-k", "-t", root.appendingPathComponent("etc/krb5.keytab").path, "\(name)$@\(lab.realm)"],
            environment: ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "MEMORY:machine"])
        #expect(machine.status == 0, "\(machine.stderr)")
        #expect(try admin.computer(name + "$")?["info"]?.first?.hasPrefix("adjoin-owner: \(instance.instanceId)") == true)
    }
}
