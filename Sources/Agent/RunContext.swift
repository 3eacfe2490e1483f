import AdjoinCore
import AWS
import Discovery
import Membership

/// What every use case runs with, made once by the caller (the command line, or a test): the time
/// budget, where progress goes, the system the files are under, the AWS environment (endpoints,
/// Region, and the HTTP transport every AWS client and instance metadata send through), and the other
/// swappable parts with I/O: the clock, DNS, and the directory (the DC locator and the login that
/// opens a session), so that a use case reaches them only through its context and a test can hand it fakes.
public struct RunContext: Sendable {
    /// The whole run's budget; a join that keeps trying gives each attempt its own (`attempt(_:)`).
    public var deadline: Deadline
    public var progress: ProgressSink
    /// The system under `--root` ("/" on a live host).
    public var files: HostFiles
    public var environment: AWSEnvironment
    public var clock: any WallClock
    /// DNS for `discover`; the directory connector's own locator has it too.
    public var resolvers: any ResolverFactory
    public var connector: any DirectoryConnector
    /// Whether this machine is an EC2 instance, as its firmware says.
    public var firmware: any HostFirmware

    public init(
        deadline: Deadline, progress: @escaping ProgressSink, files: HostFiles = HostFiles(),
        environment: AWSEnvironment = .current(), clock: any WallClock = SystemWallClock(),
        resolvers: any ResolverFactory = SystemResolvers(), connector: (any DirectoryConnector)? = nil,
        firmware: any HostFirmware = SystemFirmware()
    ) {
        self.deadline = deadline
        self.progress = progress
        self.files = files
        self.environment = environment
        self.clock = clock
        self.resolvers = resolvers
        self.connector = connector ?? LiveDirectoryConnector(resolvers: resolvers)
        self.firmware = firmware
    }

    /// The same context with another budget.
    func with(deadline: Deadline) -> RunContext {
        var context = self
        context.deadline = deadline
        return context
    }
}

/// A use case that failed: the error, and what its report names beside it (the domain, when known).
public struct CommandFailure: Error, Sendable {
    public let error: AdjoinError
    public let domain: String?
    public let elapsed: Duration

    public init(_ error: AdjoinError, domain: String?, elapsed: Duration) {
        self.error = error
        self.domain = domain
        self.elapsed = elapsed
    }
}

/// A command's work in the library: one options value in, one report out (or a failure).
public protocol UseCase: Sendable {
    associatedtype Options: Sendable
    init(_ options: Options)
    func run(_ context: RunContext) throws(CommandFailure) -> CommandReport
}
