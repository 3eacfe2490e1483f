import AdjoinCore
import Testing

/// A child's standard input: a secret arrives there whole, and nothing of it in the arguments.
@Suite struct ChildProcessTests {
    @Test func aSecretReachesStandardInput() throws {
        var child = ChildProcess(["/bin/sh", "-c", "printf 'args:%s\\n' \"$*\"; printf 'stdin:'; cat"])
        child.standardInput = SecretBytes(Array("s3cret with spaces!".utf8))
        let result = try child.run(deadline: Deadline(seconds: 10))
        #expect(result.succeeded)
        #expect(result.output == "args:\nstdin:s3cret with spaces!")
    }

    @Test func withoutOneStandardInputIsEmpty() throws {
        let result = try ChildProcess(["/bin/sh", "-c", "printf 'stdin:'; cat"]).run(deadline: Deadline(seconds: 10))
        #expect(result.output == "stdin:")
    }

    @Test func aChildThatReadsNothingStillEnds() throws {
        var child = ChildProcess(["/bin/sh", "-c", "exit 3"])
        child.standardInput = SecretBytes(Array("unread".utf8))
        #expect(try child.run(deadline: Deadline(seconds: 10)).exitStatus == 3)
    }
}
