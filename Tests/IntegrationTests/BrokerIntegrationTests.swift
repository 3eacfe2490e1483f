import AdjoinCore
import Foundation
import TestSupport
import Testing

/// Joins through the broker against the lab: the instance holds no domain credential and reads no
/// setting; `adjoin broker` (its real runtime loop) decides from EC2 and the central table, behind the
/// function URL stand-in that verifies every signature. Each refusal has its own status and creates nothing.
@Suite(.serialized, .needsLab) struct BrokerIntegrationTests {
    let lab: Lab
    let aws: AWSFixture
    let admin: AdminDirectory
    let broker: BrokerFixture

    init() throws {
        lab = try Lab.current()
        aws = try AWSFixture.current()
        admin = AdminDirectory(lab: lab)
        broker = try BrokerFixture()
    }

    func name(_ instance: EC2Instance) -> String { BrokerFixture.computerName(of: instance, in: lab) }

    func join(_ instance: EC2Instance, root: URL) throws -> CommandResult {
        try instance.runAgent(["join", "--broker", broker.url, "--no-configure", "--root", root.path, "--output", "json"])
    }

    func kinit(_ name: String, password: String) throws -> CommandResult {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("otp-\(UUID().uuidString)")
        try Data((password + "\n").utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try run(
            URL(fileURLWithPath: "/usr/bin/kinit"), ["\(name)$@\(lab.realm)"], stdin: file,
            environment: ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "MEMORY:otp"])
    }

    @Test func anInstanceJoinsThroughTheBrokerWithNoCredentialAndNoSettingsOfItsOwn() throws {
        let instance = try broker.launch(tags: ["adGroupName": lab.loginGroup])
        let name = name(instance)
        defer { try? admin.delete(name + "$") }
        let scratch = ScratchRoot("adjoin-root")
        defer { scratch.remove() }
        let root = scratch.url

        let joined = try join(instance, root: root)
        #expect(joined.status == 0, "\(joined.stdout)\(joined.stderr)")
        #expect(joined.stdout.contains("\"status\": \"JOINED\""))
        #expect(joined.stdout.contains("\"computerName\": \"\(name)\""))
        let keytab = root.appendingPathComponent("etc/krb5.keytab").path
        let machine = try run(
            URL(fileURLWithPath: "/usr/bin/kinit"), ["-k", "-t", keytab, "\(name)$@\(lab.realm)"],
            environment: ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "MEMORY:machine"])
        #expect(machine.status == 0, "the keytab the instance wrote logs in: \(machine.stderr)")
        #expect(try admin.computer(name + "$")?["info"]?.first?.hasPrefix("adjoin-owner: \(instance.instanceId)") == true)
        // The instance's role read nothing: no settings, no password, no secret.
        let verdicts = try instance.verdicts()
        #expect(!verdicts.contains { $0.operation.hasSuffix("GetParameter") || $0.operation.hasSuffix("GetSecretValue") }, "\(verdicts)")
        // The broker read the central item and the secret with its own role.
        #expect(
            try aws.verdicts().contains {
                $0.operation.hasSuffix("GetSecretValue") && $0.verdict == "verified" && $0.accessKeyId == broker.brokerKey
            })
        // The one-time password was in the one answer, and in no log; it logs in no more.
        let passwords = try broker.oneTimePasswords()
        #expect(passwords.count == 1)
        let log = try broker.brokerLogText()
        #expect(log.contains("PRESET"), "\(log)")
        let joinPassword = String(decoding: try lab.joinPassword(), as: UTF8.self)
        for secret in passwords + [joinPassword] {
            #expect(!log.contains(secret), "a secret in the broker's log")
            #expect(!joined.stdout.contains(secret) && !joined.stderr.contains(secret), "a secret in the instance's output")
            #expect(!(try String(contentsOf: broker.urlLog, encoding: .utf8)).contains(secret))
        }
        #expect(try kinit(name, password: passwords[0]).status != 0, "the one-time password still logs in after the join")

        // A second request within the minute: the account's password was set just now (by the instance).
        let again = try join(instance, root: root)
        #expect(again.status == Status.rateLimited.exitCode, "\(again.stdout)\(again.stderr)")
        #expect(again.stdout.contains("RATE_LIMITED"))
        #expect(try broker.oneTimePasswords().count == 1, "no second one-time password")
        let still = try run(
            URL(fileURLWithPath: "/usr/bin/kinit"), ["-k", "-t", keytab, "\(name)$@\(lab.realm)"],
            environment: ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "MEMORY:machine"])
        #expect(still.status == 0, "the refused reset left the instance's keys working")
    }

    @Test func aReplayedRequestIsRefusedByTheURLAndCreatesNothing() throws {
        let instance = try broker.launch(tags: [:])
        defer { try? admin.delete(name(instance) + "$") }
        let credentials = try broker.session(account: BrokerFixture.memberAccount, role: "web-role", name: instance.instanceId)
        let stale = try broker.post(
            accessKeyId: credentials.accessKeyId, secret: credentials.secretAccessKey, token: credentials.sessionToken, age: 400)
        #expect(stale.status == 403)
        #expect(stale.body["status"] == nil, "refused by the URL before the function ran")
        #expect(try String(contentsOf: broker.urlLog, encoding: .utf8).contains("X-Amz-Date more than 5 minutes off"))
        #expect(try admin.computer(name(instance) + "$") == nil)
        #expect(try broker.oneTimePasswords().isEmpty)
    }

    @Test func callersThatAreNotInstanceProfilesAreAccessDenied() throws {
        let instance = try broker.launch(tags: [:])
        defer { try? admin.delete(name(instance) + "$") }
        let user = try lab.staticKey()
        let pipeline = try broker.session(account: BrokerFixture.memberAccount, role: "web-role", name: "deploy-pipeline")
        for (key, secret, token) in [
            (user.accessKeyId, user.secretAccessKey, nil), (pipeline.accessKeyId, pipeline.secretAccessKey, pipeline.sessionToken),
        ] {
            let refused = try broker.post(accessKeyId: key, secret: secret, token: token)
            #expect(refused.status == 403)
            #expect(refused.body["status"] as? String == "ACCESS_DENIED", "\(refused.body)")
        }
        #expect(try admin.computer(name(instance) + "$") == nil)
        #expect(try broker.oneTimePasswords().isEmpty)
    }

    @Test func stoppedAndTerminatedInstancesAreNotRunning() throws {
        for action in ["stop_instances", "terminate_instances"] {
            let instance = try broker.launch(tags: [:])
            defer { try? admin.delete(name(instance) + "$") }
            _ = try aws.boto3(
                "client('ec2', 'us-east-1', role='arn:aws:iam::\(BrokerFixture.memberAccount):role/fixture').\(action)(InstanceIds=[sys.argv[1]])",
                [instance.instanceId])
            let scratch = ScratchRoot("adjoin-root")
            defer { scratch.remove() }
            let root = scratch.url
            let refused = try join(instance, root: root)
            #expect(refused.status == Status.notRunning.exitCode, "\(action): \(refused.stdout)\(refused.stderr)")
            #expect(refused.stdout.contains("NOT_RUNNING"))
            #expect(try admin.computer(name(instance) + "$") == nil)
        }
        #expect(try broker.oneTimePasswords().isEmpty)
    }

    @Test func anAccountWithoutAnItemIsNotAllowed() throws {
        let instance = try broker.launch(account: "303456789012", tags: [:])
        defer { try? admin.delete(name(instance) + "$") }
        let scratch = ScratchRoot("adjoin-root")
        defer { scratch.remove() }
        let root = scratch.url
        let refused = try join(instance, root: root)
        #expect(refused.status == Status.notAllowed.exitCode, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stdout.contains("NOT_ALLOWED"))
        #expect(try admin.computer(name(instance) + "$") == nil)
        #expect(try broker.oneTimePasswords().isEmpty)
    }

    @Test func aNameAnotherInstanceOwnsIsAConflictAndStaysItsOwners() throws {
        let instance = try broker.launch(tags: [:])
        let name = name(instance)
        defer { try? admin.delete(name + "$") }
        let scratch = ScratchRoot("adjoin-root")
        defer { scratch.remove() }
        let root = scratch.url
        let file = root.appendingPathComponent("other-one-time-password")
        let other = "i-0" + String(repeating: "a", count: 16)
        let preset = try runAgent(
            [
                "preset", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin", "--computer-name", name,
                "--ou", lab.organizationalUnit, "--owner", other, "--one-time-password-file", file.path,
                "--domain-controller", lab.dcIP,
            ], stdin: URL(fileURLWithPath: lab.joinPasswordFile))
        #expect(preset.status == 0, "\(preset.stdout)\(preset.stderr)")
        let refused = try join(instance, root: root)
        #expect(refused.status == Status.accountConflict.exitCode, "\(refused.stdout)\(refused.stderr)")
        #expect(try admin.computer(name + "$")?["info"]?.first?.hasPrefix("adjoin-owner: \(other)") == true)
        let otherPassword = try String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(try kinit(name, password: otherPassword).status == 0, "the other owner's one-time password still works: not reset")
        #expect(try broker.oneTimePasswords().isEmpty)
    }

    /// Where an instance learns the broker's URL without a flag: /etc/default/adjoin (no AWS call but the
    /// broker's), or the `adjoin` parameter's `broker` key (one GetParameter, and the password it names unread).
    @Test func theBrokerURLComesFromTheDefaultsFileOrTheSettingsParameter() throws {
        // Tags not in metadata: the boot join's --unless-joined must not need ec2:DescribeTags either.
        let fromFile = try broker.launch(tags: ["adGroupName": lab.loginGroup], tagsExposed: false)
        let fromParameter = try broker.launch(tags: [:])
        defer { for instance in [fromFile, fromParameter] { try? admin.delete(name(instance) + "$") } }
        let scratchA = ScratchRoot("adjoin-root"), scratchB = ScratchRoot("adjoin-root")
        defer { for scratch in [scratchA, scratchB] { scratch.remove() } }
        let rootA = scratchA.url, rootB = scratchB.url
        try FileManager.default.createDirectory(at: rootA.appendingPathComponent("etc/default"), withIntermediateDirectories: true)
        try Data("# baked into the image\nADJOIN_BROKER_URL=\(broker.url)\n".utf8).write(
            to: rootA.appendingPathComponent("etc/default/adjoin"))
        let joinedA = try fromFile.runAgent(["join", "--no-configure", "--root", rootA.path, "--output", "json"])
        #expect(joinedA.status == 0, "\(joinedA.stdout)\(joinedA.stderr)")
        let again = try fromFile.runAgent(["join", "--unless-joined", "--no-configure", "--root", rootA.path, "--output", "json"])
        #expect(again.status == 0 && again.stdout.contains("already joined"), "\(again.stdout)\(again.stderr)")
        let ownCalls = try fromFile.verdicts()
        #expect(ownCalls.isEmpty, "the instance made no AWS call of its own: \(ownCalls)")

        let member = "arn:aws:iam::\(BrokerFixture.memberAccount):role/fixture"
        let parameter = "/adjoin-test/broker-" + UUID().uuidString.prefix(8)
        try aws.putParameter(
            parameter, value: #"{"broker": "\#(broker.url)", "joinUser": "nobody", "joinPasswordParameter": "/adjoin-test/never-read"}"#,
            type: "String", role: member, region: BrokerFixture.region)
        let joinedB = try fromParameter.runAgent([
            "join", "--parameter", parameter, "--no-configure", "--root", rootB.path, "--output", "json",
        ])
        #expect(joinedB.status == 0, "\(joinedB.stdout)\(joinedB.stderr)")
        #expect(try fromParameter.verdicts().map(\.operation) == ["AmazonSSM.GetParameter"], "the settings, and no password")
        for (instance, root) in [(fromFile, rootA), (fromParameter, rootB)] {
            let login = try run(
                URL(fileURLWithPath: "/usr/bin/kinit"),
                ["-k", "-t", root.appendingPathComponent("etc/krb5.keytab").path, "\(name(instance))$@\(lab.realm)"],
                environment: ["KRB5_CONFIG": lab.krb5Config, "KRB5CCNAME": "MEMORY:machine"])
            #expect(login.status == 0, "\(login.stderr)")
        }
    }

    /// An event the broker cannot read goes to the runtime API's /error (the URL answers 502), nothing is
    /// created, and the same process serves the next request.
    @Test func anUnreadableRequestIsReportedAndTheLoopGoesOn() throws {
        let instance = try broker.launch(tags: [:])
        defer { try? admin.delete(name(instance) + "$") }
        let credentials = try broker.session(account: BrokerFixture.memberAccount, role: "web-role", name: instance.instanceId)
        let broken = try broker.post(
            accessKeyId: credentials.accessKeyId, secret: credentials.secretAccessKey, token: credentials.sessionToken,
            body: "not json")
        #expect(broken.status == 502)
        #expect(try admin.computer(name(instance) + "$") == nil)
        #expect(try broker.brokerLogText().contains("cannot read the event"))
        let scratch = ScratchRoot("adjoin-root")
        defer { scratch.remove() }
        let root = scratch.url
        let joined = try join(instance, root: root)
        #expect(joined.status == 0, "\(joined.stdout)\(joined.stderr)")
    }

    /// EC2's terminated event removes the instance's account, and only when EC2 confirms the termination:
    /// the same event for a running instance changes nothing, and another instance's account is never touched.
    @Test func aTerminatedEventRemovesOnlyThatInstancesAccount() throws {
        let doomed = try broker.launch(tags: [:]), survivor = try broker.launch(tags: [:])
        defer { for instance in [doomed, survivor] { try? admin.delete(name(instance) + "$") } }
        for instance in [doomed, survivor] {
            let scratch = ScratchRoot("adjoin-root")
            defer { scratch.remove() }
            let root = scratch.url
            let joined = try join(instance, root: root)
            #expect(joined.status == 0, "\(joined.stdout)\(joined.stderr)")
        }
        // A forged or early event: EC2 says the instance runs.
        let early = try broker.stateChange(doomed.instanceId, state: "terminated")
        #expect(early["status"] as? String == "NOT_RUNNING", "\(early)")
        #expect(try admin.computer(name(doomed) + "$") != nil)

        _ = try aws.boto3(
            "client('ec2', 'us-east-1', role='arn:aws:iam::\(BrokerFixture.memberAccount):role/fixture').terminate_instances(InstanceIds=[sys.argv[1]])",
            [doomed.instanceId])
        let removed = try broker.stateChange(doomed.instanceId, state: "terminated")
        #expect(removed["status"] as? String == "DETACHED", "\(removed)")
        #expect(try admin.computer(name(doomed) + "$") == nil)
        #expect(try admin.computer(name(survivor) + "$") != nil, "another instance's account stays")
        // Again (EventBridge delivers at least once): nothing left, still DETACHED.
        #expect(try broker.stateChange(doomed.instanceId, state: "terminated")["status"] as? String == "DETACHED")
        // Other states are ignored.
        #expect(try broker.stateChange(survivor.instanceId, state: "stopping")["status"] as? String == "SKIPPED")
    }
}

/// A login on a host joined through the broker. Named so that scripts/test runs it with the other real
/// logins through sssd, on a quiet DC (its `--skip`/`--filter HostLoginIntegrationTests`).
@Suite(.serialized, .needsLab) struct BrokerHostLoginIntegrationTests {
    let lab: Lab
    let aws: AWSFixture
    let admin: AdminDirectory
    let broker: BrokerFixture

    init() throws {
        lab = try Lab.current()
        aws = try AWSFixture.current()
        admin = AdminDirectory(lab: lab)
        broker = try BrokerFixture()
    }

    func name(_ instance: EC2Instance) -> String { BrokerFixture.computerName(of: instance, in: lab) }

    /// The whole host, joined through the broker in a sandboxed /etc: real sssd, NSS and PAM; the tag's
    /// group (as the broker read it from EC2) may log in, and nobody else.
    @Test func theTagsGroupLogsInOnAHostJoinedThroughTheBroker() throws {
        // Tags not in metadata: only the broker reads them (from EC2); the instance's role calls nothing else.
        let instance = try broker.launch(tags: ["adGroupName": lab.loginGroup], tagsExposed: false)
        defer { try? admin.delete(name(instance) + "$") }
        let sandbox = try EtcSandbox(lab: lab)
        defer { sandbox.remove() }
        let joined = try sandbox.run(
            Lab.agentBinary.path, ["join", "--broker", broker.url, "--output", "json"],
            environment: [
                "AWS_EC2_METADATA_SERVICE_ENDPOINT": instance.metadataEndpoint, "AWS_ENDPOINT_URL": aws.proxyEndpoint,
            ])
        #expect(joined.status == 0, "\(joined.stdout)\(joined.stderr)")
        #expect(try sandbox.text("/etc/sssd/sssd.conf").contains(lab.loginGroup))
        let calls = try instance.verdicts()
        #expect(calls.isEmpty, "the instance's role called \(calls)")
        _ = try SSSDTestTimeouts(in: sandbox.file("/etc/sssd/conf.d"), domain: lab.domain)
        let sssd = try SandboxedSSSD(sandbox)
        defer { sssd.stop() }
        let passwd = try resolveUser(lab.memberUser, in: sandbox)
        #expect(passwd.hasPrefix("\(lab.memberUser):*:"), "sssd said: \(sssd.output)")
        try expectOnlyTheMemberLogsIn(lab, in: sandbox, sssd: sssd.output)
    }
}
