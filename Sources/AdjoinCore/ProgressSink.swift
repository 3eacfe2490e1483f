/// Where a step says what it is doing, one line at a time: standard error for the command line, a
/// list for a test. Every module takes this one type, so a run's progress has one sink.
public typealias ProgressSink = @Sendable (String) -> Void
