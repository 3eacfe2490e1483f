import AdjoinCore

/// What the attempts of one join through the broker keep from its answer, so that an attempt after a failed
/// one logs in again instead of asking the broker for a reset, which the broker refuses for a minute after
/// the last one (RATE_LIMITED): the answer, and the passwords the account may have now that only this
/// instance knows. Wiped when the join is over (`forget`).
final class KeptBrokerAnswer {
    /// The answer (its settings and name; the passwords are below).
    private var answer: InstanceBroker.Answer?
    /// The passwords the account may have now that this instance knows, in the order to try them: the
    /// broker's one-time password (it logs in until an attempt changes it: everything that fails on a loaded
    /// DC before the change leaves it usable), then what a failed attempt changed it to (a failure after the
    /// change, such as the keytab's proof timing out). Wiped when the join is over.
    private var keptPasswords: [SecretBytes] = []
    /// What this attempt changes the account's password to, once it gets that far.
    private var changing: SecretBytes?
    /// This attempt logs in with a kept password rather than a fresh answer's.
    private var reusing = false

    var hasPassword: Bool { !keptPasswords.isEmpty }

    func answered(_ answer: InstanceBroker.Answer) {
        forget()
        keptPasswords = [answer.oneTimePassword]
        self.answer = answer
    }

    /// The kept answer with the first kept password, or nil (ask the broker).
    func forThisAttempt() -> InstanceBroker.Answer? {
        guard var answer, let first = keptPasswords.first else { return nil }
        answer.oneTimePassword = first.copy()
        reusing = true
        return answer
    }

    func willChange(to password: SecretBytes) {
        changing?.wipe()
        changing = password
    }

    /// After a failed attempt: true when it logged in with a kept password that the DC refused (that password
    /// is dropped; the caller tries the next, or asks the broker). Otherwise the password the attempt was
    /// changing the account to is kept, in case it got that far.
    func attemptFailed(_ error: AdjoinError) -> Bool {
        defer {
            changing = nil
            reusing = false
        }
        guard let changing else { return false }
        if error.status == .accessDenied, reusing {
            changing.wipe()
            if !keptPasswords.isEmpty { keptPasswords.removeFirst().wipe() }
            return true
        }
        if error.status != .accessDenied { keptPasswords.append(changing) } else { changing.wipe() }
        return false
    }

    func forget() {
        answer = nil
        for password in keptPasswords { password.wipe() }
        keptPasswords = []
        changing?.wipe()
        changing = nil
        reusing = false
    }
}
