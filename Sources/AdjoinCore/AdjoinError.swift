/// A failure that ends a command: the status it maps to, and a message for people that names the cause.
/// Messages never carry secrets; callers build them from names, addresses and library messages only.
public struct AdjoinError: Error, Sendable, CustomStringConvertible {
    public var status: Status
    public var message: String
    /// When another try can succeed, where the refusing side says (the broker's RATE_LIMITED): a retry waits
    /// at least this long rather than asking again too soon.
    public var retryAfter: Duration?

    public init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status): \(message)" }

    public static func network(_ message: String) -> AdjoinError { AdjoinError(.networkError, message) }
    public static func timeout(_ message: String) -> AdjoinError { AdjoinError(.timeout, message) }
    public static func invalidInput(_ message: String) -> AdjoinError { AdjoinError(.invalidInput, message) }
}
