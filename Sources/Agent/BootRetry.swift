import AdjoinCore

/// How a join at boot keeps trying: until it is joined or meets a failure that another attempt cannot
/// mend, for a bounded time, with exponential backoff and full jitter between attempts, so that a fleet
/// booting at once spreads itself out instead of retrying in step against one DC and one SSM quota.
public struct BootRetry: Sendable {
    /// The whole time the join may keep trying (`--retry-for`).
    public var budget: Duration
    /// Attempt n waits a random time between 0 and min(cap, base * 2^(n-1)) before attempt n+1.
    public var base: Duration = .seconds(2)
    public var cap: Duration = .seconds(60)
    /// Picks the pause in milliseconds up to the given ceiling (tests pin it).
    public var jitter: @Sendable (Int64) -> Int64 = { Int64.random(in: 0...$0) }

    public init(budget: Duration) {
        self.budget = budget
    }

    /// Outcomes that can change by themselves: the network or DNS still coming up, a DC or an AWS
    /// service too busy to answer in time, another adjoin command holding the host, metadata not ready,
    /// a clock the time service has not set yet, and what is not understood. Wrong credentials, missing rights, bad settings, a name another
    /// host owns, a host that cannot be configured: another attempt would fail the same way.
    public static func isTransient(_ status: Status) -> Bool {
        [Status.networkError, .timeout, .busy, .domainNotFound, .clockSkew, .rateLimited, .unknownError].contains(status)
    }

    public func pause(afterAttempt attempt: Int) -> Duration {
        Backoff.pause(afterAttempt: attempt, base: base, cap: cap, jitter: jitter)
    }

    /// What happened to one attempt that will be tried again, for the journal and the status item.
    public struct Retry: Sendable {
        public let attempt: Int
        public let failure: AdjoinError
        public let pause: Duration
    }

    /// The most an attempt's own budget grows to after attempts that timed out.
    public var longestAttempt: Duration = .seconds(120)

    /// An attempt's budget: `perAttempt`, doubled for each attempt before it that ran out of time, up to
    /// `longestAttempt`. In a fleet booting at once a TIMEOUT mostly means the DC (or AWS) had the
    /// request queued behind the herd, not that it is gone: an attempt that waits longer gets the
    /// answer to work the DC has already begun, where a new attempt would queue at the back again and
    /// the DC would have done the first one's work (and its undo) for nothing.
    public func attemptSeconds(_ perAttempt: Double, afterTimeouts timeouts: Int) -> Double {
        min(perAttempt * Double(1 << min(timeouts, 10)), max(perAttempt, longestAttempt.seconds))
    }

    /// Runs `attempt` (numbered from 1, each with `perAttempt` seconds (longer after timeouts:
    /// `attemptSeconds`) or what is left of the budget) until it succeeds, fails for good, or the budget
    /// leaves no room for another; `retrying` hears of each attempt that will be repeated, before the
    /// pause. Throws the last failure.
    public func run<Value>(
        perAttempt seconds: Double, sleep: (Duration) -> Void = BootRetry.sleep,
        retrying: (Retry) -> Void,
        attempt: (Int, Deadline) throws(AdjoinError) -> Value
    ) throws(AdjoinError) -> Value {
        let whole = Deadline(seconds: budget.seconds)
        var number = 0
        var timeouts = 0
        while true {
            number += 1
            let deadline = Deadline(seconds: min(attemptSeconds(seconds, afterTimeouts: timeouts), max(whole.remaining.seconds, 0.001)))
            do {
                return try attempt(number, deadline)
            } catch {
                guard BootRetry.isTransient(error.status) else { throw error }
                if error.status == .timeout { timeouts += 1 }
                // The backoff, or longer when the refusing side said when it will accept (the broker's RATE_LIMITED):
                // asking before then costs the broker and the DC a refusal and the instance an attempt.
                let pause = max(pause(afterAttempt: number), min(error.retryAfter ?? .zero, longestAttempt))
                // Another attempt needs its pause and at least a second of work, or it is not worth starting.
                guard pause + .seconds(1) < whole.remaining else {
                    throw AdjoinError(
                        error.status,
                        "\(error.message) (gave up after \(number) attempts in \(whole.elapsed.milliseconds / 1000) s of --retry-for)")
                }
                retrying(Retry(attempt: number, failure: error, pause: pause))
                sleep(pause)
            }
        }
    }

    public static func sleep(_ duration: Duration) { Backoff.sleep(duration) }

    /// `30m`, `90s`, `2h`, `1d` or a number of seconds: more than none, at most a day.
    public static func parseDuration(_ text: String) -> Duration? {
        guard let seconds = DurationText.seconds(text), seconds > 0, seconds <= 86_400 else { return nil }
        return .seconds(seconds)
    }
}
