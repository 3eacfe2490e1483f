#if canImport(Glibc)
    import Glibc
#endif

/// The calendar time, in whole seconds since 1970: what keytab timestamps, ticket times and password
/// ages are counted in. A protocol so that a test can fix it.
public protocol WallClock: Sendable {
    var secondsSince1970: Int64 { get }
}

/// The system's clock, time(2).
public struct SystemWallClock: WallClock {
    public init() {}

    public var secondsSince1970: Int64 { Int64(time(nil)) }
}
