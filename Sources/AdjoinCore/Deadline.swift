/// The whole time budget of a command (`--timeout`). Every network wait takes its bound from here,
/// so that the sum of all steps cannot exceed the budget.
public struct Deadline: Sendable {
    public let start: ContinuousClock.Instant
    public let end: ContinuousClock.Instant

    public init(seconds: Double, from start: ContinuousClock.Instant = .now) {
        self.start = start
        self.end = start + .milliseconds(Int64((seconds * 1000).rounded()))
    }

    public init(start: ContinuousClock.Instant, end: ContinuousClock.Instant) {
        self.start = start
        self.end = max(start, end)
    }

    /// The same budget with `share` of it set aside at the end (for an undo): what the steps before it may use.
    public func reserving(_ share: Duration) -> Deadline {
        Deadline(start: start, end: end - share)
    }

    public var remaining: Duration { max(.zero, end - ContinuousClock.now) }
    public var isExpired: Bool { ContinuousClock.now >= end }
    public var elapsed: Duration { ContinuousClock.now - start }

    /// Milliseconds left, for poll(2); never negative.
    public var remainingMilliseconds: Int32 {
        let ms = remaining.milliseconds
        return Int32(clamping: ms)
    }
}

extension Duration {
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
