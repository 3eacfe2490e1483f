import AdjoinCore
import Agent
@testable import AWS
import Discovery
import Foundation
import Testing
import TestSupport

/// A use case reaches DNS and the directory only through its RunContext: handed scripted fakes, it
/// runs without the lab, and any lookup or login the fakes were not told of fails the test.
@Suite struct UseCaseContextTests {
    func context(resolvers: FakeResolver? = nil, connector: FakeDirectoryConnector? = nil, root: String = "/nonexistent-root") -> RunContext
    {
        RunContext(
            deadline: Deadline(seconds: 10), progress: { _ in }, files: HostFiles(root: root),
            environment: AWSEnvironment(variables: [:]), resolvers: resolvers ?? FakeResolver([]), connector: connector)
    }

    @Test func discoverAsksTheContextsResolver() {
        let resolver = FakeResolver([
            .query(
                name: "_ldap._tcp.dc._msdcs.corp.example.com", type: DNSAnswer.typeService,
                answer: .failure(AdjoinError(.domainNotFound, "DNS name does not exist")))
        ])
        let discover = DiscoverUseCase(.init(domain: "corp.example.com", directory: DirectoryFlags()))
        let result = Result { () throws(CommandFailure) -> CommandReport in try discover.run(context(resolvers: resolver)) }
        guard case .failure(let failure) = result else {
            Issue.record("discover found a domain the resolver said does not exist")
            return
        }
        #expect(failure.error.status == .domainNotFound)
        #expect(failure.domain == "corp.example.com")
        resolver.script.finish()
    }

    /// A dry run finds its DC through the context's connector and says what it would do; it logs in nowhere.
    @Test func aDryRunJoinLocatesThroughTheContextsConnector() throws {
        let root = ScratchRoot("adjoin-usecase")
        defer { root.remove() }
        let directory = try FakeDirectory(
            controller: FakeDirectory.controller("dc7.corp.example.com", domain: "corp.example.com"),
            realm: "CORP.EXAMPLE.COM", [])
        let connector = FakeDirectoryConnector(directory, [.locate(domain: "corp.example.com")])
        var options = JoinUseCase.Options(directory: DirectoryFlags())
        options.settings.set(.domain, "corp.example.com")
        options.settings.set(.joinUser, "adjoiner")
        options.hostFQDN = "web1.corp.example.com"
        options.owner = "test-owner"
        options.configure = false
        options.dryRun = true
        let report = try JoinUseCase(options).run(context(connector: connector, root: root.path))
        #expect(report.verbatim?.contains("would join WEB1$ into the domain's computers container") == true, "\(report.verbatim ?? "")")
        #expect(report.verbatim?.contains("through dc7.corp.example.com") == true)
        connector.finish()
    }

    /// The termination hook's leave asks instance metadata through the context's AWS environment:
    /// an instance in service is not left, and nothing else is asked.
    @Test func theTerminationCheckGoesThroughTheContextsTransport() throws {
        let root = ScratchRoot("adjoin-usecase")
        defer { root.remove() }
        let transport = FakeHTTPTransport([
            .answer("PUT", "/latest/api/token", status: 200, body: "scripted-token"),
            .answer("GET", "/latest/meta-data/autoscaling/target-lifecycle-state", status: 200, body: "InService"),
            .answer("GET", "/latest/meta-data/spot/instance-action", status: 404),
        ])
        var run = context(root: root.path)
        run.environment = AWSEnvironment(variables: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://192.0.2.1"])
        run.environment.makeTransport = { transport }
        let report = try LeaveUseCase(.init(target: .thisHost(onlyIfTerminating: true), directory: DirectoryFlags())).run(run)
        #expect(report.status == .skipped)
        #expect(
            report.lines.contains { $0.0 == "message" && $0.1.contains("the Auto Scaling lifecycle state is InService") }, "\(report.lines)"
        )
        transport.script.finish()
    }
}
