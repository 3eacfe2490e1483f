import AdjoinCore
import Agent
import Testing

/// The boot join's retry loop, with the attempts scripted and the pauses recorded instead of slept.
@Suite struct BootRetryTests {
    /// Plays a script of outcomes, one per attempt; an attempt past the script is a failure of the test.
    final class Script {
        var outcomes: [AdjoinError?]
        var deadlines: [Double] = []
        init(_ outcomes: [AdjoinError?]) { self.outcomes = outcomes }

        func attempt(_ number: Int, _ deadline: Deadline) throws(AdjoinError) -> Int {
            deadlines.append(deadline.remaining.seconds)
            guard !outcomes.isEmpty else {
                Issue.record("attempt \(number) was not expected")
                throw AdjoinError(.invalidInput, "unexpected attempt")
            }
            if let failure = outcomes.removeFirst() { throw failure }
            return number
        }
    }

    static func policy(budget: Duration = .seconds(600), pinned: Int64? = 0) -> BootRetry {
        var retry = BootRetry(budget: budget)
        if let pinned { retry.jitter = { _ in pinned } } else { retry.jitter = { $0 } }
        return retry
    }

    @Test func transientFailuresAreTriedAgainUntilTheJoinSucceeds() throws {
        let script = Script([.network("no DC answered"), .timeout("the KDC did not answer in time"), AdjoinError(.busy, "locked"), nil])
        var retries: [BootRetry.Retry] = []
        var slept: [Duration] = []
        let attempts = try Self.policy().run(perAttempt: 20, sleep: { slept.append($0) }, retrying: { retries.append($0) }) {
            (number, deadline) throws(AdjoinError) in try script.attempt(number, deadline)
        }
        #expect(attempts == 4)
        #expect(retries.map(\.attempt) == [1, 2, 3])
        #expect(retries.map(\.failure.status) == [.networkError, .timeout, .busy])
        #expect(slept.count == 3)
        #expect(script.outcomes.isEmpty)
        // Each attempt has its own --timeout, not what is left of the whole budget; twice as much after
        // the attempt that timed out.
        let budgets = script.deadlines.map { $0.rounded(.up) }
        #expect(budgets == [20, 20, 40, 40], "\(script.deadlines)")
    }

    /// A refusal that says when it will be accepted (the broker's RATE_LIMITED) pauses until then, not for the
    /// shorter backoff that would meet the same refusal again; never longer than two minutes, whatever it says.
    @Test func aRefusalThatSaysWhenIsTriedAgainThen() throws {
        var limited = AdjoinError(.rateLimited, "reset 19 s ago")
        limited.retryAfter = .seconds(42)
        var forever = AdjoinError(.rateLimited, "a broker asking for an hour")
        forever.retryAfter = .seconds(3600)
        let script = Script([limited, .network("no DC answered"), forever, nil])
        var slept: [Duration] = []
        let attempts = try Self.policy().run(perAttempt: 20, sleep: { slept.append($0) }, retrying: { _ in }) {
            (number, deadline) throws(AdjoinError) in try script.attempt(number, deadline)
        }
        #expect(attempts == 4)
        #expect(slept == [.seconds(42), .zero, .seconds(120)], "\(slept)")
    }

    /// Attempts that run out of time get twice the time each, up to two minutes: a DC queueing a herd's
    /// requests answers the attempt that waits. Other failures leave the budget as it is.
    @Test func anAttemptAfterATimeoutHasTwiceTheTime() throws {
        let script = Script([
            .timeout("no answer"), .timeout("no answer"), .network("refused"), .timeout("no answer"),
            .timeout("no answer"), nil,
        ])
        let attempts = try Self.policy(budget: .seconds(1_800)).run(perAttempt: 20, sleep: { _ in }, retrying: { _ in }) {
            (number, deadline) throws(AdjoinError) in try script.attempt(number, deadline)
        }
        #expect(attempts == 6)
        #expect(script.deadlines.map { $0.rounded(.up) } == [20, 40, 80, 80, 120, 120], "\(script.deadlines)")
        // The whole budget still bounds each attempt: 40 s asked for, 30 s left.
        let short = Script([.timeout("no answer"), nil])
        _ = try Self.policy(budget: .seconds(30)).run(perAttempt: 20, sleep: { _ in }, retrying: { _ in }) {
            (number, deadline) throws(AdjoinError) in try short.attempt(number, deadline)
        }
        #expect(short.deadlines.count == 2 && short.deadlines[1] <= 30 && short.deadlines[1] > 29, "\(short.deadlines)")
    }

    @Test(arguments: [Status.accessDenied, .insufficientPermissions, .invalidInput, .accountConflict, .cloned, .configurationFailed])
    func aPermanentFailureStopsAtOnce(status: Status) {
        let script = Script([AdjoinError(status, "no")])
        var slept: [Duration] = []
        #expect(throws: AdjoinError.self) {
            try Self.policy().run(perAttempt: 20, sleep: { slept.append($0) }, retrying: { _ in Issue.record("retried \(status)") }) {
                (number, deadline) throws(AdjoinError) in try script.attempt(number, deadline)
            }
        }
        #expect(slept.isEmpty)
        #expect(!BootRetry.isTransient(status))
    }

    @Test func transientStatusesAreTheOnesThatCanPass() {
        for status in [Status.networkError, .timeout, .busy, .domainNotFound, .clockSkew, .unknownError] {
            #expect(BootRetry.isTransient(status), "\(status)")
        }
    }

    @Test func pausesDoubleUpToTheCapWithFullJitter() {
        let ceiling = Self.policy(pinned: nil)
        #expect(
            (1...8).map { ceiling.pause(afterAttempt: $0).milliseconds } == [2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000])
        // The jitter is drawn from 0 up to the attempt's ceiling: half of it is half the ceiling.
        var random = BootRetry(budget: .seconds(60))
        random.jitter = { $0 / 2 }
        #expect(random.pause(afterAttempt: 3) == .seconds(4))
        // A jitter that strays is kept inside [0, ceiling].
        random.jitter = { _ in 1_000_000 }
        #expect(random.pause(afterAttempt: 1) == .seconds(2))
    }

    @Test func theBudgetEndsTheRetriesWithTheLastFailure() {
        // A pause that no longer fits in what is left of --retry-for: the last failure is the outcome.
        let script = Script([.network("no DC answered")])
        do {
            _ = try Self.policy(budget: .seconds(3), pinned: 5_000).run(
                perAttempt: 20, sleep: { _ in Issue.record("slept past the budget") },
                retrying: { _ in Issue.record("announced a retry it cannot make") }
            ) {
                (number, deadline) throws(AdjoinError) in try script.attempt(number, deadline)
            }
            Issue.record("no failure")
        } catch {
            #expect(error.status == .networkError)
            #expect(error.message.hasPrefix("no DC answered (gave up after 1 attempts"), "\(error.message)")
        }
        // The last attempt gets no more than what is left of the budget.
        #expect(script.deadlines.count == 1 && script.deadlines[0] <= 3, "\(script.deadlines)")
    }

    @Test func durationsReadAsPeopleWriteThem() {
        #expect(BootRetry.parseDuration("30m") == .seconds(1_800))
        #expect(BootRetry.parseDuration("90s") == .seconds(90))
        #expect(BootRetry.parseDuration("2h") == .seconds(7_200))
        #expect(BootRetry.parseDuration("45") == .seconds(45))
        #expect(BootRetry.parseDuration("1d") == .seconds(86_400))
        for bad in ["", "m", "0", "-5m", "+5m", "1.5h", "25h", "2d", "30 m", "30min", "١٠"] {
            #expect(BootRetry.parseDuration(bad) == nil, "\(bad)")
        }
    }
}
