import AdjoinCore
internal import CKerberos

extension KerberosContext {
    /// Changes `principal`'s password as the principal itself, with nothing but its keytab: an AS
    /// exchange with the keytab for a kadmin/changepw ticket (the kpasswd service accepts only initial
    /// tickets, so it must come from the AS exchange, not a TGS one), then the change-password exchange
    /// (RFC 3244, version 1) with the DC's kpasswd service.
    ///
    /// The AS exchange goes over `kdc`, the change over `kpasswd` (one TCP connection to port 464, see
    /// `KDCConnection(kpasswdAt:realm:)`), both within `deadline`: a silent server ends the change at
    /// the deadline as a network failure. A change the server refuses is thrown with its RFC 3244
    /// result code (`passwordChangeSoftError` …) and the server's explanation.
    public func changePassword(
        _ principal: Principal, keytabPath: String, encryptionTypes: [EncryptionType], to newPassword: SecretBytes,
        through kdc: KDCConnection, kpasswd: KDCConnection, deadline: Deadline
    ) throws(KerberosError) {
        let cache = try CredentialCache(context: self)
        let service = "kadmin/changepw@" + principal.realm
        try login(
            principal, keytabPath: keytabPath, encryptionTypes: encryptionTypes, service: service, into: cache, through: kdc,
            deadline: deadline)
        let ticket = try ServiceTicket(client: principal, server: Principal(service, context: self), in: cache)
        try changePassword(of: principal.name, with: ticket, to: newPassword, through: kpasswd, deadline: deadline)
    }

    /// The same change with the principal's current password instead of a keytab: how a host that an
    /// administrator pre-created with a one-time password replaces it at once (adcli's and realm's
    /// `--one-time-password`). The ticket comes from an AS exchange with that password (libkrb5 learns
    /// the account's salt from the KDC), so it is an initial ticket as kpasswd requires. `password` is
    /// handed over and wiped as in a password login.
    public func changePassword(
        _ principal: Principal, password: SecretBytes, to newPassword: SecretBytes,
        through kdc: KDCConnection, kpasswd: KDCConnection, deadline: Deadline
    ) throws(KerberosError) {
        let cache = try CredentialCache(context: self)
        let service = "kadmin/changepw@" + principal.realm
        try login(principal, password: password, service: service, into: cache, through: kdc, deadline: deadline)
        let ticket = try ServiceTicket(client: principal, server: Principal(service, context: self), in: cache)
        try changePassword(of: principal.name, with: ticket, to: newPassword, through: kpasswd, deadline: deadline)
    }

    /// The RFC 3244 exchange itself, with a kadmin/changepw ticket at hand.
    func changePassword(
        of name: String, with ticket: ServiceTicket, to newPassword: SecretBytes, through kpasswd: KDCConnection,
        deadline: Deadline
    ) throws(KerberosError) {
        let operation = "changing the password of \(name) at \(kpasswd.service) \(kpasswd.address)"
        let authentication = try AuthenticationContext(context: self)
        // Connected first: the KRB-PRIV names this end's address on that very connection.
        try authentication.setLocalAddress(kpasswd.localAddress(deadline: deadline))
        let apReq = try authentication.request(for: ticket)
        var priv = try authentication.seal(newPassword)
        var request: [UInt8]
        do {
            request = try KpasswdMessage.request(apReq: apReq, priv: priv)
        } catch {
            priv.wipe()
            throw KerberosError(code: KerberosCode(KRB5_BAD_MSIZE), message: error.reason, operation: operation)
        }
        priv.wipe()
        defer { request.wipe() }
        let reply = try kpasswd.exchange(request, deadline: deadline)

        let parts: KpasswdMessage.Reply
        do {
            parts = try KpasswdMessage.reply(reply)
        } catch {
            throw KerberosError(
                code: .passwordChangeMalformedReply, message: "\(kpasswd.service) sent a malformed reply: \(error)",
                operation: operation)
        }
        switch parts {
        case .error(let bytes):
            let decoded: KRBErrorMessage
            do {
                decoded = try KRBErrorMessage(bytes, context: self)
            } catch {
                throw KerberosError(
                    code: .passwordChangeMalformedReply,
                    message: "\(kpasswd.service) sent a KRB-ERROR that does not decode: \(error.message)", operation: operation)
            }
            throw refusal(decoded, operation)
        case .answer(let apRep, let priv):
            try authentication.readReply(apRep)
            let data = try authentication.open(priv)
            let result: (code: UInt16, string: [UInt8])
            do {
                result = try KpasswdMessage.result(data)
            } catch {
                throw KerberosError(
                    code: .passwordChangeMalformedReply, message: "\(kpasswd.service) sent a malformed result: \(error)",
                    operation: operation)
            }
            guard result.code == 0 else { throw refusal(code: result.code, string: result.string, operation) }
        }
    }

    /// A KRB-ERROR: with version 1 its e-data holds the result (RFC 3244 2); without, its error code says why.
    /// One whose result is success is Windows Server 2025's answer to a change it made (SSSD issue 7751,
    /// msktutil issue 228), where RFC 3244 has an AP-REP and a KRB-PRIV. A KRB-ERROR is not authenticated,
    /// so that claim is not taken on trust: it is thrown as `passwordChangeSuccessInError`, for the caller
    /// to confirm where it can (the account's kvno in the directory, read over the sealed LDAP session).
    private func refusal(_ error: KRBErrorMessage, _ operation: String) -> KerberosError {
        if let result = try? KpasswdMessage.result(error.data) {
            guard result.code == 0 else { return refusal(code: result.code, string: result.string, operation) }
            return KerberosError(
                code: .passwordChangeSuccessInError,
                message: "the kpasswd server reported success in a KRB-ERROR, as Windows Server 2025 does; "
                    + "an unauthenticated answer, to be confirmed", operation: operation)
        }
        let explained = self.error(error.code, operation)
        return KerberosError(
            code: KerberosCode(error.code),
            message: "the kpasswd server answered with an error: \(explained.message)\(error.text.isEmpty ? "" : " (\(error.text))")",
            operation: operation)
    }

    /// A refused change: its code, and the server's reason (AD's binary policy block, rendered by libkrb5).
    private func refusal(code: UInt16, string: [UInt8], _ operation: String) -> KerberosError {
        var reason = ""
        string.withUnsafeBytes { bytes in
            var data = krb5_data.borrowing(bytes)
            var explained: UnsafeMutablePointer<CChar>? = nil
            if krb5_chpw_message(raw, &data, &explained) == 0, let explained {
                reason = String(cString: explained)
                krb5_free_string(raw, explained)
            }
        }
        return KerberosError(
            code: KerberosCode(Int32(code)),
            message: "the kpasswd server refused: \(KpasswdMessage.name(ofResult: code))\(reason.isEmpty ? "" : " (\(reason))")",
            operation: operation)
    }
}
