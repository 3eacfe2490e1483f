import AdjoinCore
import Agent
import Testing

/// A report's fields are written once; its text lines and its JSON are both read from them.
@Suite struct CommandReportTests {
    static let report = CommandReport(
        status: .joined,
        fields: [
            .string("domain", "domain", "corp.example.com"),
            .string("computer-dn", "computerDN", nil),
            .number("kvno", "kvno", UInt32(3)),
            .number("password-age-days", "passwordAgeDays", Int64?.none, none: "unknown"),
            .text("keytab", "/etc/krb5.keytab"),
            .both("host", "configured", text: "/etc/krb5.conf", json: .array([.string("/etc/krb5.conf")])),
            .statusLine,
            .text("warning", each: ["one", "two"]),
            .duration(.milliseconds(42)),
            .json("message", .string("done")),
        ])

    @Test func textTakesEachFieldsLinesInOrderWithTheStatusWhereItsLineStands() {
        let lines = Self.report.lines.map { "\($0.0)=\($0.1)" }
        #expect(
            lines == [
                "domain=corp.example.com", "computer-dn=-", "kvno=3", "password-age-days=unknown", "keytab=/etc/krb5.keytab",
                "host=/etc/krb5.conf", "status=JOINED", "warning=one", "warning=two",
            ])
    }

    @Test func jsonLeadsWithTheStatusAndTakesEachFieldsMemberInOrder() {
        #expect(
            Self.report.json.serialized() == #"{"status":"JOINED","domain":"corp.example.com","computerDN":null,"kvno":3,"#
                + #""passwordAgeDays":null,"configured":["/etc/krb5.conf"],"durationMs":42,"message":"done"}"#)
    }

    @Test func aVerbatimReportHasNoFields() {
        let report = CommandReport(verbatim: "--- a\n+++ b\n")
        // Printed as it is: no text lines and no JSON members beside the status.
        #expect(report.lines.isEmpty)
        #expect(report.json.serialized() == #"{"status":"JOINED"}"#)
    }
}
