import AdjoinCore
import Testing
@testable import Agent

/// What the attempts of one join keep from the broker's answer: the passwords the account may have, tried in
/// order, so that an attempt after a failed one logs in again instead of asking the broker for a reset that
/// it refuses for a minute (RATE_LIMITED).
@Suite struct KeptBrokerAnswerTests {
    func text(_ secret: SecretBytes) -> String { secret.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }

    func state(oneTimePassword: String) throws -> KeptBrokerAnswer {
        let state = KeptBrokerAnswer()
        state.answered(
            InstanceBroker.Answer(
                settings: AgentSettings(), computerName: try ComputerName(explicit: "WEB01"),
                hostFQDN: "web01.corp.example.com", oneTimePassword: SecretBytes(Array(oneTimePassword.utf8))))
        return state
    }

    @Test func anAttemptThatFailedTriesTheOneTimePasswordThenWhatItChangedItTo() throws {
        let state = try state(oneTimePassword: "one-time")
        // The first attempt (the fresh answer's) changes the password to "changed-1", then times out.
        state.willChange(to: SecretBytes(Array("changed-1".utf8)))
        #expect(state.attemptFailed(.timeout("the keytab's proof timed out")) == .report)
        // The next attempt logs in with the one-time password first.
        let second = try #require(state.forThisAttempt())
        #expect(text(second.oneTimePassword) == "one-time" && second.computerName.value == "WEB01")
        state.willChange(to: SecretBytes(Array("changed-2".utf8)))
        // Refused (the first attempt had changed it): the caller tries the next kept password.
        guard case .tryNext = state.attemptFailed(AdjoinError(.accessDenied, "the one-time password does not log in")) else {
            Issue.record("the next kept password is not tried")
            return
        }
        let third = try #require(state.forThisAttempt())
        #expect(text(third.oneTimePassword) == "changed-1", "not the password of the refused attempt, which never reached the DC")
        state.willChange(to: SecretBytes(Array("changed-3".utf8)))
        // Nothing kept logs in: the broker is asked again.
        #expect(state.attemptFailed(AdjoinError(.accessDenied, "refused too")) == .askBroker)
        #expect(!state.hasPassword && state.forThisAttempt() == nil)
    }

    @Test func aFreshAnswersRefusalIsTriedOnceMoreOnceInAJoin() throws {
        let state = try state(oneTimePassword: "one-time")
        state.willChange(to: SecretBytes(Array("changed-1".utf8)))
        guard case .tryNext = state.attemptFailed(AdjoinError(.accessDenied, "refused")) else {
            Issue.record("a fresh one-time password refused is not tried once more")
            return
        }
        let again = try #require(state.forThisAttempt())
        #expect(text(again.oneTimePassword) == "one-time")
        state.willChange(to: SecretBytes(Array("changed-2".utf8)))
        #expect(state.attemptFailed(AdjoinError(.accessDenied, "refused again")) == .askBroker)
        // The broker's next answer refused too: the join's outcome, ACCESS_DENIED.
        state.answered(
            InstanceBroker.Answer(
                settings: AgentSettings(), computerName: try ComputerName(explicit: "WEB01"),
                hostFQDN: "web01.corp.example.com", oneTimePassword: SecretBytes(Array("one-time-2".utf8))))
        state.willChange(to: SecretBytes(Array("changed-3".utf8)))
        #expect(state.attemptFailed(AdjoinError(.accessDenied, "refused")) == .report)
        // A failure before any login (no password being changed) changes nothing kept.
        #expect(state.attemptFailed(.network("the broker did not answer")) == .report)
        state.forget()
        #expect(!state.hasPassword && state.forThisAttempt() == nil)
    }
}
