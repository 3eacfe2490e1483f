import AdjoinCore
@testable import Agent
import AWS
import Discovery
@testable import LDAP
import Membership
import Testing
import TestSupport

/// The broker's decision, with a scripted world (settings, EC2) and a scripted directory, each failing
/// the test on any call it did not expect: every refusal is made before anything is created, and
/// from what EC2 and the settings say, never from the request.
@Suite struct BrokerJoinTests {
    static let account = "210987654321"
    static let instanceId = "i-0123456789abcdef0"
    static let callerARN = "arn:aws:sts::210987654321:assumed-role/web-role/i-0123456789abcdef0"
    static let base = "DC=corp,DC=example,DC=com"
    static let computers = "CN=Computers," + base
    static let dn = "CN=IP-10-1-2-3," + computers
    static let wellKnownComputers = "<WKGUID=AA312825768811D1ADED00C04FD8D5CD,\(base)>"
    static let owner = AccountOwner.instance(instanceId, accountId: account, region: "us-east-1")
    static let now: Int64 = 1_800_000_000
    static let refused = LDAPError(
        code: .insufficientAccess, message: "scripted", diagnostic: "00002098: INSUFF_ACCESS_RIGHTS",
        operation: "a scripted operation")

    enum WorldStep: CustomStringConvertible {
        case settings(account: String, Result<(AgentSettings, Bool), AdjoinError>)
        case describe(instanceId: String, account: String, region: String, EC2Client.InstanceDescription?)

        var description: String {
            switch self {
            case .settings(let account, _): "settings of \(account)"
            case .describe(let id, let account, let region, _): "describe \(id) in \(account) \(region)"
            }
        }
    }

    final class FakeWorld: BrokerWorld {
        let script: CallScript<WorldStep>
        let connector: any DirectoryConnector
        let clock: any WallClock

        init(_ steps: [WorldStep], connector: any DirectoryConnector, clock: any WallClock = FixedClock(BrokerJoinTests.now)) {
            script = CallScript("the fake broker world", steps)
            self.connector = connector
            self.clock = clock
        }

        func settings(
            accountId: String, deadline: Deadline
        ) throws(AdjoinError) -> (settings: AgentSettings, perAccount: Bool, source: String) {
            guard
                case .settings(_, let answer)? = script.next(
                    "settings of \(accountId)",
                    matches: {
                        if case .settings(let expected, _) = $0 { return expected == accountId }
                        return false
                    })
            else { throw AdjoinError(.unknownError, "unexpected settings call") }
            let (settings, perAccount) = try answer.get()
            return (settings, perAccount, "the central settings table t, item \(accountId)")
        }

        func describe(
            instanceId: String, accountId: String, region: String, deadline: Deadline
        ) throws(AdjoinError) -> EC2Client.InstanceDescription? {
            guard
                case .describe(_, _, _, let answer)? = script.next(
                    "describe \(instanceId) in \(accountId) \(region)",
                    matches: {
                        if case .describe(let id, let account, let expected, _) = $0 {
                            return id == instanceId && account == accountId && expected == region
                        }
                        return false
                    })
            else { throw AdjoinError(.unknownError, "unexpected describe call") }
            return answer
        }
    }

    static func settings(roles: [String] = []) throws -> AgentSettings {
        var settings = AgentSettings()
        settings.domain = try DomainName("corp.example.com")
        settings.domainControllers = [try HostPort(parsing: "192.0.2.10")]
        settings.joinUser = "adjoiner"
        settings.password = .secret(SecretBytes(Array("join-password".utf8)))
        settings.login.allowedGroups = [try GroupName("everyone-default")]
        settings.brokerRoles = roles
        return settings
    }

    static func instance(
        _ state: String = "running", tags: [String: String] = ["adGroupName": "linux-admins"]
    ) -> EC2Client.InstanceDescription {
        EC2Client.InstanceDescription(
            instanceId: instanceId, state: state, privateDnsName: "ip-10-1-2-3.ec2.internal", privateIPv4: "10.1.2.3", tags: tags)
    }

    static func find(_ existing: [LDAPEntry]) -> DirectoryStep {
        .search(bases: [base, wellKnownComputers], answer: .success([existing, [LDAPEntry(dn: computers, attributes: [:])]]))
    }

    static func account(owner: AccountOwner, passwordSetSecondsAgo: Int64) -> LDAPEntry {
        let filetime = (now - passwordSetSecondsAgo + 11_644_473_600) * 10_000_000
        let values: [String: [String]] = [
            "userAccountControl": ["4096"], "dNSHostName": ["ip-10-1-2-3.corp.example.com"],
            "servicePrincipalName": [
                "host/IP-10-1-2-3", "host/ip-10-1-2-3.corp.example.com", "RestrictedKrbHost/IP-10-1-2-3",
                "RestrictedKrbHost/ip-10-1-2-3.corp.example.com",
            ],
            "msDS-SupportedEncryptionTypes": ["24"], "msDS-KeyVersionNumber": ["2"], "info": [owner.recorded],
            "pwdLastSet": [String(filetime)],
        ]
        return LDAPEntry(
            dn: dn, attributes: Dictionary(uniqueKeysWithValues: values.map { ($0.key.lowercased(), $0.value.map { Array($0.utf8) }) }))
    }

    /// A world and a directory that expect exactly these calls.
    func broker(
        _ world: [WorldStep], directory steps: [DirectoryStep]? = nil, allowed: String? = nil,
        clock: FixedClock = FixedClock(BrokerJoinTests.now)
    ) throws -> (BrokerJoin, FakeWorld, FakeDirectoryConnector) {
        let directory = try FakeDirectory(
            controller: FakeDirectory.controller("dc1.corp.example.com", domain: "corp.example.com"),
            realm: "CORP.EXAMPLE.COM", steps ?? [])
        let connector = FakeDirectoryConnector(
            directory, steps == nil ? [] : [.locate(domain: "corp.example.com"), .login(principal: "adjoiner@CORP.EXAMPLE.COM")])
        let fake = FakeWorld(world, connector: connector, clock: clock)
        return (
            BrokerJoin(world: fake, allowed: try BrokerAllowList(parsing: allowed), region: "us-east-1", progress: { _ in }), fake,
            connector
        )
    }

    func decide(
        _ join: BrokerJoin, caller: String = BrokerJoinTests.callerARN, region: String? = nil
    ) -> Result<BrokerJoin.Decision, AdjoinError> {
        do throws(AdjoinError) {
            return .success(try join.decide(callerARN: caller, regionHint: region, deadline: Deadline(seconds: 10)))
        } catch { return .failure(error) }
    }

    func refusal(_ result: Result<BrokerJoin.Decision, AdjoinError>) -> AdjoinError? {
        if case .failure(let error) = result { return error }
        return nil
    }

    @Test func aRunningInstanceGetsANewAccountNamedAsItsOwnJoinWouldNameIt() throws {
        let (join, world, connector) = try broker(
            [
                .settings(account: Self.account, .success((try Self.settings(), true))),
                .describe(instanceId: Self.instanceId, account: Self.account, region: "us-east-1", Self.instance()),
            ], directory: [Self.find([]), .add(dn: Self.dn), .search(base: Self.dn, error: Self.refused)])
        guard case .success(.join(let answer)) = decide(join) else { Issue.record("no answer"); return }
        world.script.finish()
        connector.finish()
        #expect(answer.computerName == "IP-10-1-2-3")
        #expect(answer.hostFQDN == "ip-10-1-2-3.corp.example.com")
        #expect(answer.created)
        #expect(answer.loginGroups == ["linux-admins"], "the tag, not the settings' default")
        #expect(answer.domainControllers == ["192.0.2.10"])
        // The owner marker names the instance, its account and Region: a later reset finds it its own.
        let info = connector.directory.added[Self.dn]?.first { $0.name == "info" }
        #expect(info?.values.map { String(decoding: $0, as: UTF8.self) } == [Self.owner.recorded])
        let body = String(decoding: answer.body(), as: UTF8.self)
        let password = answer.oneTimePassword.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        #expect(password.count >= 20)
        #expect(body.hasPrefix("{\"oneTimePassword\":\"\(password)\","))
        #expect(body.contains("\"status\":\"PRESET\""))
        #expect(!"\(answer.oneTimePassword)".contains(password))
    }

    @Test func callersThatAreNotInstanceProfilesAreRefusedBeforeAnyCall() throws {
        for arn in [
            "arn:aws:iam::210987654321:user/alice", "arn:aws:sts::210987654321:assumed-role/web-role/botocore-session-1",
            "arn:aws:sts::210987654321:federated-user/bob", "", "arn:aws:sts::21098765432:assumed-role/r/i-0123456789abcdef0",
        ] {
            let (join, world, connector) = try broker([])
            #expect(refusal(decide(join, caller: arn))?.status == .accessDenied, "\(arn)")
            world.script.finish()
            connector.finish()
        }
    }

    @Test func anAccountOrRoleNotAllowedIsRefusedWithNothingCreated() throws {
        // Not in ADJOIN_BROKER_ALLOWED: not even the settings are read.
        var (join, world, connector) = try broker([], allowed: "111122223333, 210987654321/other-role")
        #expect(refusal(decide(join))?.status == .notAllowed)
        world.script.finish()
        // No item for the account in the central table.
        (join, world, connector) = try broker([.settings(account: Self.account, .failure(AdjoinError(.notAllowed, "no item")))])
        #expect(refusal(decide(join))?.status == .notAllowed)
        world.script.finish()
        // The item names other roles.
        (join, world, connector) = try broker([.settings(account: Self.account, .success((try Self.settings(roles: ["db-role"]), true)))])
        #expect(refusal(decide(join))?.status == .notAllowed)
        world.script.finish()
        // One document for every account, and no ADJOIN_BROKER_ALLOWED.
        (join, world, connector) = try broker([.settings(account: Self.account, .success((try Self.settings(), false)))])
        #expect(refusal(decide(join))?.status == .notAllowed)
        world.script.finish()
        connector.finish()
    }

    @Test func anInstanceThatIsNotRunningIsRefusedWithNothingCreated() throws {
        for state: EC2Client.InstanceDescription? in [Self.instance("stopped"), Self.instance("terminated"), Self.instance("pending"), nil]
        {
            let (join, world, connector) = try broker([
                .settings(account: Self.account, .success((try Self.settings(), true))),
                .describe(instanceId: Self.instanceId, account: Self.account, region: "eu-west-1", state),
            ])
            #expect(refusal(decide(join, region: "eu-west-1"))?.status == .notRunning, "\(state?.state ?? "unknown")")
            world.script.finish()
            connector.finish()
        }
    }

    @Test func anInstanceThatOptsOutIsSkippedWithNothingCreated() throws {
        let (join, world, connector) = try broker([
            .settings(account: Self.account, .success((try Self.settings(), true))),
            .describe(
                instanceId: Self.instanceId, account: Self.account, region: "us-east-1", Self.instance(tags: ["autoadjoin": "False"])),
        ])
        guard case .success(.skipped) = decide(join) else { Issue.record("not skipped"); return }
        world.script.finish()
        connector.finish()
    }

    @Test func aNameAnotherInstanceOwnsIsAConflictAndIsNotTouched() throws {
        let stranger = AccountOwner.instance("i-0fedcba9876543210", accountId: Self.account, region: "us-east-1")
        let (join, world, connector) = try broker(
            [
                .settings(account: Self.account, .success((try Self.settings(), true))),
                .describe(instanceId: Self.instanceId, account: Self.account, region: "us-east-1", Self.instance()),
            ], directory: [Self.find([Self.account(owner: stranger, passwordSetSecondsAgo: 3600)])])
        #expect(refusal(decide(join))?.status == .accountConflict)
        world.script.finish()
        connector.finish()
    }

    /// pwdLastSet is the clock: 30 s ago is refused with nothing written; 61 s ago is reset.
    @Test func theSameInstancesAccountIsResetAtMostOnceAMinute() throws {
        var (join, world, connector) = try broker(
            [
                .settings(account: Self.account, .success((try Self.settings(), true))),
                .describe(instanceId: Self.instanceId, account: Self.account, region: "us-east-1", Self.instance()),
            ], directory: [Self.find([Self.account(owner: Self.owner, passwordSetSecondsAgo: 30)])])
        let limited = refusal(decide(join))
        #expect(limited?.status == .rateLimited)
        #expect(limited?.message.contains("30 s ago") == true)
        // When it will reset again: 60 s after pwdLastSet, and a second more for the whole seconds both are read in.
        #expect(limited?.retryAfter == .seconds(31))
        world.script.finish()
        connector.finish()
        (join, world, connector) = try broker(
            [
                .settings(account: Self.account, .success((try Self.settings(), true))),
                .describe(instanceId: Self.instanceId, account: Self.account, region: "us-east-1", Self.instance()),
            ],
            directory: [
                Self.find([Self.account(owner: Self.owner, passwordSetSecondsAgo: 61)]), .modify(dn: Self.dn, attributes: ["unicodePwd"]),
                .search(base: Self.dn, error: Self.refused),
            ])
        guard case .success(.join(let answer)) = decide(join) else { Issue.record("no reset after a minute"); return }
        #expect(!answer.created)
        world.script.finish()
        connector.finish()
    }

    @Test func theRuntimeAnswersRefusalsWithTheirStatusAndNeverTheJoinPassword() throws {
        let event = try BrokerEvent(
            Array(
                """
                {"version":"2.0","rawPath":"/join","body":"eyJyZWdpb24iOiJ1cy1lYXN0LTEifQ==","isBase64Encoded":true,
                 "requestContext":{"http":{"method":"POST","path":"/join"},"authorizer":{"iam":{"userArn":"arn:aws:iam::210987654321:user/alice"}}}}
                """.utf8))
        #expect(event.regionHint == "us-east-1")
        #expect(event.callerARN == "arn:aws:iam::210987654321:user/alice")
        let (join, world, _) = try broker([])
        let runtime = BrokerRuntime(api: try LambdaRuntimeAPI("127.0.0.1:9"), join: join, log: { _ in })
        let response = try JSON.parse(runtime.answer(event, requestId: "r1", deadline: Deadline(seconds: 5)))
        #expect(response["statusCode"]?.integer == 403)
        let body = try JSON.parse(Array((response["body"]?.string ?? "").utf8))
        #expect(body["status"]?.string == "ACCESS_DENIED")
        world.script.finish()
    }

    /// A request that waited past the instance's own deadline (notAfter) presets nothing: the instance is gone,
    /// and an account reset now would only rate-limit its next attempt.
    @Test func aRequestPastTheInstancesDeadlineCreatesNothing() throws {
        let event = try BrokerEvent(
            Array(
                """
                {"rawPath":"/join","body":"{\\"region\\":\\"us-east-1\\",\\"notAfter\\":1000}",
                 "requestContext":{"http":{"method":"POST","path":"/join"},"authorizer":{"iam":{"userArn":"\(Self.callerARN)"}}}}
                """.utf8))
        #expect(event.notAfterMilliseconds == 1000)
        let (join, world, connector) = try broker([])
        let runtime = BrokerRuntime(api: try LambdaRuntimeAPI("127.0.0.1:9"), join: join, log: { _ in })
        let response = try JSON.parse(runtime.answer(event, requestId: "r2", deadline: BrokerRuntime.deadline(event.notAfterMilliseconds)))
        #expect(response["statusCode"]?.integer == 504)
        #expect(try JSON.parse(Array((response["body"]?.string ?? "").utf8))["status"]?.string == "TIMEOUT")
        world.script.finish()
        connector.finish()
    }
}
