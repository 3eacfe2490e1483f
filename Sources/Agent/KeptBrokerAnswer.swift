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
    /// A fresh answer's password was refused once already in this join.
    private var freshRefused = false

    /// What to do after an attempt that failed.
    enum Next: Equatable {
        /// Nothing of the kept answer's doing: the failure is the attempt's outcome.
        case report
        /// Log in again at once with the next kept password; the words say why.
        case tryNext(String)
        /// No kept password logs in: ask the broker for a new answer.
        case askBroker
    }

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

    /// After a failed attempt that logged in with a password from the broker's answer. A refused kept password
    /// is dropped, and the next is tried, else the broker is asked again. A fresh answer's password refused is
    /// tried once more, once in a join: in a storm the DC refused one just after the broker had set it (1 in
    /// 300 instances), and asking the broker again would cost the minute of its limit. Any other failure
    /// keeps the password the attempt was changing the account to, in case it got that far.
    func attemptFailed(_ error: AdjoinError) -> Next {
        defer {
            changing = nil
            reusing = false
        }
        guard let changing else { return .report }
        guard error.status == .accessDenied else {
            keptPasswords.append(changing)
            return .report
        }
        changing.wipe()
        if !reusing {
            guard !freshRefused, !keptPasswords.isEmpty else { return .report }
            freshRefused = true
            return .tryNext("the broker's one-time password was refused at once: trying it once more")
        }
        if !keptPasswords.isEmpty { keptPasswords.removeFirst().wipe() }
        return keptPasswords.isEmpty
            ? .askBroker
            : .tryNext(
                "that password no longer logs in (the last attempt may have changed it): logging in with the one that attempt was changing it to"
            )
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
