import AdjoinCore

/// What a command reports, as one list of fields: text lines for people and JSON members for
/// scripts are both read from it, so a field is written once. A field may show in one form only
/// (durationMs is JSON's; a keytab path is text's), and a field whose two forms stand in different
/// places is given as two, each for its own form.
public struct CommandReport: Sendable {
    public var status: Status
    public var fields: [ReportField]
    /// Printed as it is instead of the fields (a dry run's diffs, which have no JSON).
    public var verbatim: String?

    public init(status: Status, fields: [ReportField]) {
        self.status = status
        self.fields = fields
    }

    public init(verbatim: String) {
        status = .joined
        fields = []
        self.verbatim = verbatim
    }

    public var lines: [(String, String)] {
        fields.flatMap { $0.isStatusLine ? [("status", status.rawValue)] : $0.lines }
    }

    /// The JSON object: `status` first, then the members in the fields' order.
    public var json: JSON {
        .object([("status", .string(status.rawValue))] + fields.compactMap(\.member))
    }
}

public struct ReportField: Sendable {
    public let lines: [(String, String)]
    public let member: (String, JSON)?
    let isStatusLine: Bool

    public init(lines: [(String, String)], member: (String, JSON)?) {
        self.lines = lines
        self.member = member
        isStatusLine = false
    }

    private init(statusLine: ()) {
        lines = []
        member = nil
        isStatusLine = true
    }

    /// Both forms: `line` for text, `key` for JSON.
    public static func both(_ line: String, _ key: String, text: String, json: JSON) -> ReportField {
        ReportField(lines: [(line, text)], member: (key, json))
    }

    /// A string both show; text says `none` where JSON says null.
    public static func string(_ line: String, _ key: String, _ value: String?, none: String = "-") -> ReportField {
        both(line, key, text: value ?? none, json: .optional(value))
    }

    /// A number both show; text says `none` where JSON says null.
    public static func number<Number: BinaryInteger>(_ line: String, _ key: String, _ value: Number?, none: String = "-") -> ReportField {
        both(line, key, text: value.map { String($0) } ?? none, json: value.map { .number(Int64($0)) } ?? .null)
    }

    public static func text(_ line: String, _ value: String) -> ReportField { ReportField(lines: [(line, value)], member: nil) }

    /// One text line for each value, under the same name (warnings, checks).
    public static func text(_ line: String, each values: [String]) -> ReportField {
        ReportField(lines: values.map { (line, $0) }, member: nil)
    }

    public static func json(_ key: String, _ value: JSON) -> ReportField { ReportField(lines: [], member: (key, value)) }

    /// Where text's status line stands; JSON's `status` leads the object (CommandReport.json).
    public static let statusLine = ReportField(statusLine: ())

    public static func duration(_ elapsed: Duration) -> ReportField { json("durationMs", .number(elapsed.milliseconds)) }
}
