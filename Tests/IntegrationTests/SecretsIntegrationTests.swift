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
    func start(_ arguments: [String], in folder: URL, shellPrefix: String = "", output: URL? = nil) throws -> (Process, Pipe) {
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
        if let output {
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: output)
        } else {
            process.standardOutput = FileHandle.nullDevice
        }
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
        let (process, input) = try start(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin",
                "--host-fqdn", host.fqdn, "--root", host.root.path, "--no-configure",
            ],
            in: host.root, shellPrefix: "ulimit -c unlimited; ")
        defer { try? input.fileHandleForWriting.close() }
        let limits = "/proc/\(process.processIdentifier)/limits"
        let hardened = waitFor(10) {
            ((try? String(contentsOfFile: limits, encoding: .utf8)) ?? "").split(separator: "\n")
                .contains {
                    $0.hasPrefix("Max core file size")
                        && $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).prefix(2) == ["0", "0"]
                }
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
        let (process, input) = try start(
            [
                "join", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin",
                "--host-fqdn", host.fqdn, "--root", host.root.path, "--no-configure",
                "--domain-controller", relay.address, "--ou", lab.organizationalUnit, "--timeout", "60",
            ],
            in: host.root)
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let password = try lab.joinPassword()
        input.fileHandleForWriting.write(Data(password + [UInt8(ascii: "\n")]))
        try input.fileHandleForWriting.close()
        #expect(
            relay.waitUntilStalled(within: 20),
            "the agent never reached the stalled message: \((try? String(contentsOf: host.root.appendingPathComponent("agent.err"), encoding: .utf8)) ?? "")"
        )

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

    /// The one-time password of a preset and a join goes through a 0600 file and standard input only:
    /// never in either process's arguments or environment (read from /proc while each waits for its
    /// standard input), and never in what either prints.
    @Test func theOneTimePasswordIsInNoArgumentEnvironmentOrOutput() throws {
        let host = try TestHost(domain: lab.domain)
        defer { try? admin.delete(host.name + "$") }
        let file = host.root.appendingPathComponent("one-time-password")
        let presetOut = host.root.appendingPathComponent("preset.out")
        let (preset, presetInput) = try start(
            [
                "preset", "--domain", lab.domain, "--user", lab.joinUser, "--password-stdin",
                "--host-fqdn", host.fqdn, "--ou", lab.organizationalUnit, "--one-time-password-file", file.path,
                "--domain-controller", lab.dcIP,
            ], in: host.root, output: presetOut)
        let joinPassword = try lab.joinPassword()
        let presetSeen = try processView(preset)
        presetInput.fileHandleForWriting.write(Data(joinPassword))
        try presetInput.fileHandleForWriting.close()
        preset.waitUntilExit()
        #expect(
            preset.terminationStatus == 0,
            "\((try? String(contentsOf: host.root.appendingPathComponent("agent.err"), encoding: .utf8)) ?? "")")
        let oneTime = try Data(contentsOf: file).filter { $0 != UInt8(ascii: "\n") }
        #expect(oneTime.count == 120)
        let presetPrinted = try Data(contentsOf: presetOut) + Data(contentsOf: host.root.appendingPathComponent("agent.err"))
        #expect(presetPrinted.range(of: oneTime) == nil, "the preset printed the one-time password")
        #expect(presetPrinted.range(of: Data(joinPassword)) == nil, "the preset printed the join password")
        #expect(presetSeen.range(of: Data(joinPassword)) == nil)

        try FileManager.default.createDirectory(at: host.root.appendingPathComponent("etc"), withIntermediateDirectories: true)
        try Data("0123456789abcdef0123456789abcdef\n".utf8).write(to: host.root.appendingPathComponent("etc/machine-id"))
        let joinOut = host.root.appendingPathComponent("join.out")
        let (join, joinInput) = try start(
            [
                "join", "--one-time-password-stdin", "--domain", lab.domain, "--host-fqdn", host.fqdn,
                "--root", host.root.path, "--no-configure", "--domain-controller", lab.dcIP,
            ],
            in: host.root, output: joinOut)
        let joinSeen = try processView(join)
        joinInput.fileHandleForWriting.write(oneTime)
        try joinInput.fileHandleForWriting.close()
        join.waitUntilExit()
        let joinPrinted = try Data(contentsOf: joinOut) + Data(contentsOf: host.root.appendingPathComponent("agent.err"))
        #expect(join.terminationStatus == 0, "\(String(decoding: joinPrinted, as: UTF8.self))")
        #expect(String(decoding: joinPrinted, as: UTF8.self).contains("JOINED"))
        #expect(joinPrinted.range(of: oneTime) == nil, "the join printed the one-time password")
        #expect(joinSeen.range(of: oneTime) == nil)
        #expect(try Data(contentsOf: host.keytab).range(of: oneTime) == nil)
    }

    /// A running agent's arguments and environment, read once it waits for its standard input.
    func processView(_ process: Process) throws -> Data {
        let folder = "/proc/\(process.processIdentifier)/"
        // exec'd by the shell: the agent's own command line names the agent binary.
        // Bounded, not timed: on a loaded machine the shell may take long to exec.
        #expect(
            waitFor(60) {
                ((try? Data(contentsOf: URL(fileURLWithPath: folder + "cmdline"))) ?? Data()).range(of: Data(Lab.agentBinary.path.utf8))
                    != nil
            })
        return try Data(contentsOf: URL(fileURLWithPath: folder + "cmdline")) + Data(contentsOf: URL(fileURLWithPath: folder + "environ"))
    }
}
