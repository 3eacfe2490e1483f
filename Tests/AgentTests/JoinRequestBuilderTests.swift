import AdjoinCore
import Discovery
import Foundation
import Membership
import Testing
import TestSupport
@testable import Agent

/// The one JoinRequest builder, off EC2 (no instance context): what the flags and settings give, the
/// owner and identity, and the password rule. The instance's path needs metadata and runs in the lab suites.
@Suite struct JoinRequestBuilderTests {
    let scratch = ScratchRoot("adjoin-request")
    var root: URL { scratch.url }

    init() throws {
        try FileManager.default.createDirectory(at: root.appendingPathComponent("etc"), withIntermediateDirectories: true)
        try Data("0123456789abcdef0123456789abcdef\n".utf8).write(to: root.appendingPathComponent("etc/machine-id"))
    }

    func options(_ change: (inout JoinUseCase.Options) -> Void = { _ in }) -> JoinUseCase.Options {
        var options = JoinUseCase.Options(directory: DirectoryFlags(dnsServers: ["127.0.0.53"]))
        options.settings.set(.domain, "corp.example.com")
        options.settings.set(.joinUser, "adjoiner")
        options.passwordFromStandardInput = true
        options.hostFQDN = "Web1.corp.example.com."
        change(&options)
        return options
    }

    func settings(password: String? = "secret") throws -> AgentSettings {
        var settings = AgentSettings()
        settings.domain = try DomainName("corp.example.com")
        settings.joinUser = "adjoiner"
        settings.password = password.map { .secret(SecretBytes(Array($0.utf8))) }
        settings.domainControllers = [try HostPort(parsing: "dc1.corp.example.com")]
        settings.organizationalUnit = "OU=Linux,DC=corp,DC=example,DC=com"
        return settings
    }

    func build(_ options: JoinUseCase.Options, _ settings: AgentSettings) throws(AdjoinError) -> JoinRequest {
        try JoinUseCase(options).joinRequest(settings: settings, instance: nil, files: HostFiles(root: root.path))
    }

    func expectInvalid(
        _ message: String, _ options: JoinUseCase.Options, _ settings: AgentSettings, prefix: Bool = false,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        do {
            _ = try build(options, settings)
            Issue.record("no error; expected: \(message)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.status == .invalidInput, sourceLocation: sourceLocation)
            #expect(
                prefix ? error.message.hasPrefix(message) : error.message == message, "\(error.message)", sourceLocation: sourceLocation)
        }
    }

    /// On an EC2 instance (what `flagJoinEC2Identity` found), the instance is both the host's identity and
    /// the account's owner, its account and Region in the marker; --owner still names another owner.
    @Test func onEC2TheInstanceIsTheIdentityAndTheOwner() throws {
        let instance = AccountOwner.instance("i-0fedcba9876543210", accountId: "111122223333", region: "eu-west-1")
        let request = try JoinUseCase(options()).joinRequest(
            settings: try settings(), instance: nil, files: HostFiles(root: root.path),
            ec2Identity: instance)
        #expect(request.identity == instance)
        #expect(request.owner.recorded == "adjoin-owner: i-0fedcba9876543210 account=111122223333 region=eu-west-1")
        let chosen = try JoinUseCase(options { $0.owner = "web-farm" }).joinRequest(
            settings: try settings(), instance: nil,
            files: HostFiles(root: root.path), ec2Identity: instance)
        #expect(chosen.identity == instance)
        #expect(chosen.owner == AccountOwner("web-farm"))
    }

    @Test func flagsAndSettingsMakeTheRequest() throws {
        let request = try build(options { $0.owner = "i-0123456789abcdef0" }, try settings())
        #expect(request.computerName.value == "WEB1")
        #expect(request.hostFQDN == "web1.corp.example.com")
        #expect(request.owner == AccountOwner("i-0123456789abcdef0"), "--owner names the account's owner")
        #expect(request.identity == (try AccountOwner.machine(files: HostFiles(root: root.path))), "the host is still itself")
        #expect(request.domainControllers.map(\.host) == ["dc1.corp.example.com"])
        #expect(request.organizationalUnit == "OU=Linux,DC=corp,DC=example,DC=com")
        #expect(request.dnsServers.count == 1)
        #expect(request.settingsParameter == nil, "no parameter was read")
        #expect(request.password.withUnsafeBytes { Array($0) } == Array("secret".utf8))
    }

    @Test func withoutOwnerTheMachineOwnsTheAccount() throws {
        let request = try build(options(), try settings())
        #expect(request.owner == request.identity)
        #expect(request.owner.value.hasPrefix("machine:"))
    }

    @Test func aPasswordIsOnlyTakenFromStandardInput() throws {
        try expectInvalid(
            "give the join user's password on standard input with --password-stdin (never as an argument)",
            options { $0.passwordFromStandardInput = false }, try settings())
    }

    @Test func aDryRunNeedsNoPassword() throws {
        let request = try build(
            options {
                $0.passwordFromStandardInput = false; $0.dryRun = true
            }, try settings(password: nil))
        #expect(request.password.withUnsafeBytes { $0.count } == 0)
    }

    @Test func aJoinUserIsRequired() throws {
        var settings = try settings()
        settings.joinUser = nil
        try expectInvalid("give --domain and --user, or run on EC2 with the settings parameter", options(), settings)
    }

    @Test func theKeytabMustStayUnderTheRoot() throws {
        try expectInvalid("--keytab '../../x' leads out of --root", options { $0.keytab = "../../x" }, try settings(), prefix: true)
    }

    /// --one-time-password-stdin: no join user is needed (the settings' is ignored); the host logs in
    /// as the computer itself. A dry run reads no standard input.
    @Test func aOneTimePasswordJoinLogsInAsTheComputerWithNoJoinUser() throws {
        var settings = try settings(password: nil)
        settings.joinUser = nil
        let request = try build(
            options {
                $0.passwordFromStandardInput = false
                $0.oneTimePasswordFromStandardInput = true
                $0.dryRun = true
            }, settings)
        #expect(request.oneTimePassword)
        #expect(request.user == "WEB1$")
        #expect(request.userPrincipal == "WEB1$@CORP.EXAMPLE.COM")
        #expect(try build(options(), try self.settings()).oneTimePassword == false)
    }
}
