import AdjoinCore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// No secret in a core: the agent cannot leave a core file, and a dump taken from outside (gcore, as
/// root can) after the join user's login holds no copy of the password.
@Suite(.serialized, .needsLab) struct SecretsIntegrationTests {
    let lab: Lab
    let admin: AdminDirectory
    init() throws {
        lab = try Lab.current()
        admin = AdminDirectory(lab: lab)
    }

    /// The agent started in the background, its standard input a pipe the test writes (or not).
    func start(_ arguments: [String], in folder: URL, shellPrefix: String = "") throws -> (Process, Pipe) {
        try requireLoopbackMetadata(ProcessInfo.processInfo.environment)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        let quoted = ([Lab.agentBinary.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        process.arguments = ["-c", shellPrefix + "exec " + quoted.joined(separator: " ")]
        process.currentDirectoryURL = folder
        // The Swift runtime's own crash handler would otherwise print a backtrace first.
        process.environment = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { $1 }
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: folder.appendingPathComponent("agent.err").path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: folder.appendingPathComponent("agent.err"))
        try process.run()
        return (process, input)
    }

    func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while !condition(), Date() < end { Thread.sleep(forTimeInterval: 0.02) }
        return condition()
    }

    @Test func theAgentLeavesNoCoreFileEvenWhenCoresAreAllowed() throws {
        let host = try TestHost(domain: lab.domain)
        // Waiting for the password on standard input: the agent is running its own code by then.
        let (process, input) = try start(["join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin",
                                          "--host-fqdn", host.fqdn, "--root", host.root.path, "--no-configure"],
                                         in: host.root, shellPrefix: "ulimit -c unlimited; ")
        defer { try? input.fileHandleForWriting.close() }
        let limits = "/proc/\(process.processIdentifier)/limits"
        let hardened = waitFor(10) {
            ((try? String(contentsOfFile: limits, encoding: .utf8)) ?? "").split(separator: "\n")
                .contains { $0.hasPrefix("Max core file size") && $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).prefix(2) == ["0", "0"] }
        }
        #expect(hardened, "\((try? String(contentsOfFile: limits, encoding: .utf8)) ?? "")")
        kill(process.processIdentifier, SIGSEGV)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        let cores = try FileManager.default.contentsOfDirectory(atPath: host.root.path).filter { $0.hasPrefix("core") }
        #expect(cores.isEmpty, "core files: \(cores)")
    }

    /// nil: the LDAP bind never gets an answer, and the agent waits there, after the Kerberos login. A
    /// number: the Kerberos login's request of that number never reaches the KDC, and the agent waits
    /// there, during the login: for its first answer (0), or after it has read the first (1), which
    /// needed the password (issue 24: libkrb5 held its own copy of it on its heap the whole time).
    @Test(arguments: [nil, 0, 1] as [Int?]) func aDumpTakenDuringOrAfterTheLoginHoldsNoCopyOfThePassword(kerberosStall: Int?) throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let relay = try StallingDCRelay(in: lab, stallAt: kerberosStall == nil ? .message(0) : nil, kerberosStallAt: kerberosStall)
        defer { relay.close() }
        let (process, input) = try start(["join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin",
                                          "--host-fqdn", host.fqdn, "--root", host.root.path, "--no-configure",
                                          "--domain-controller", relay.address, "--ou", lab.organizationalUnit, "--timeout", "60"],
                                         in: host.root)
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let password = try lab.joinPassword()
        input.fileHandleForWriting.write(Data(password + [UInt8(ascii: "\n")]))
        try input.fileHandleForWriting.close()
        #expect(relay.waitUntilStalled(within: 20),
                "the agent never reached the stalled message: \((try? String(contentsOf: host.root.appendingPathComponent("agent.err"), encoding: .utf8)) ?? "")")

        let core = host.root.appendingPathComponent("gcore")
        let dump = try run(URL(fileURLWithPath: "/usr/bin/gcore"), ["-o", core.path, String(process.processIdentifier)])
        let file = core.path + "." + String(process.processIdentifier)
        #expect(dump.status == 0, "gcore: \(dump.stderr)")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        // A real dump of the agent's memory: it holds what the agent was given, the host's name.
        #expect(bytes.range(of: Data(host.fqdn.utf8)) != nil)
        #expect(bytes.range(of: Data(password)) == nil, "the join password is in the dump")
    }
}
