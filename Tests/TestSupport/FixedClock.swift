import AdjoinCore

/// A wall clock that says what the test set, and moves only when told.
public final class FixedClock: WallClock, @unchecked Sendable {
    private let now: Locked<Int64>

    public init(_ secondsSince1970: Int64) { now = Locked(secondsSince1970) }

    public var secondsSince1970: Int64 { now.withLock { $0 } }

    public func advance(seconds: Int64) { now.withLock { $0 += seconds } }
}
