import Testing

/// The calls a fake was told to expect, in order, each with its answer. A call that is not the next one
/// expected (or comes after the last) is recorded as a test failure that names it and what was expected
/// instead; the fake then fails the call. `finish()` fails the test for expected calls never made.
public final class CallScript<Step>: @unchecked Sendable {
    private let steps: Locked<[Step]>
    private let made = Locked<[String]>([])
    private let fake: String

    public init(_ fake: String, _ steps: [Step]) {
        self.fake = fake
        self.steps = Locked(steps)
    }

    /// The next step when `call` is what it expects (`matches` says so), else nil after recording the failure.
    public func next(_ call: String, sourceLocation: SourceLocation = #_sourceLocation, matches: (Step) -> Bool) -> Step? {
        made.withLock { $0.append(call) }
        return steps.withLock { steps -> Step? in
            guard let first = steps.first else {
                Issue.record(
                    "\(fake): unexpected call \(call): nothing more was expected (calls made: \(made.withLock { $0 }))",
                    sourceLocation: sourceLocation)
                return nil
            }
            guard matches(first) else {
                Issue.record("\(fake): unexpected call \(call); expected \(first)", sourceLocation: sourceLocation)
                return nil
            }
            return steps.removeFirst()
        }
    }

    /// Every call made, in order, as the fake described it.
    public var calls: [String] { made.withLock { $0 } }

    public var remaining: [Step] { steps.withLock { $0 } }

    /// Fails the test when an expected call was not made.
    public func finish(sourceLocation: SourceLocation = #_sourceLocation) {
        let left = remaining
        if !left.isEmpty {
            Issue.record("\(fake): expected calls never made: \(left) (calls made: \(calls))", sourceLocation: sourceLocation)
        }
    }
}
