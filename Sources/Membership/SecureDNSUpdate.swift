import AdjoinCore
import DNS
import Discovery
import Kerberos

/// What a DNS server said to an update, and how far that answer can be trusted.
public struct DNSUpdateAnswer: Sendable, Equatable {
    public var rcode: DNSResponseCode
    /// The answer carried the server's TSIG and its MIC checked out with the negotiated context.
    public var signatureVerified: Bool
    /// The address records the name holds after the update, read back over the same connection when
    /// the answer was not signed or its signature did not check (LAB.md: Samba's signature on some
    /// answers fails nsupdate's check although the change was made). nil: not read.
    public var addressesAfter: [SocketAddress]?
}

/// A secure dynamic update (RFC 3645): a GSS-API context negotiated with TKEY queries (RFC 2930),
/// then the UPDATE (RFC 2136) signed with it (RFC 2845), over one TCP connection to the DC's DNS
/// server. The client's tickets come from one MEMORY cache holding a ticket for DNS/<dc host name>.
struct SecureDNSUpdate {
    let stream: DNSStream
    let context: SecurityContext
    let server: String
    let clock: any WallClock
    let keyName: String

    /// The most legs a negotiation may take: SPNEGO with Kerberos needs one (two with a MIC exchange).
    static let maximumLegs = 4
    static let lifetime: UInt32 = 3600

    init(
        stream: DNSStream, credentialCacheName: String, controller: DomainController, realm: String,
        clock: any WallClock = SystemWallClock()
    ) throws(AdjoinError) {
        self.stream = stream
        server = controller.hostName
        self.clock = clock
        do {
            context = try SecurityContext(credentialCacheName: credentialCacheName, target: "DNS/\(controller.hostName)@\(realm)")
        } catch {
            throw AdjoinError(.unknownError, error.description)
        }
        // RFC 3645 3.1.1: a name unique to this negotiation (the server keeps the context under it).
        var random = SystemRandomNumberGenerator()
        keyName = String(random.next() as UInt32) + ".sig-adjoin"
    }

    /// Negotiates the key: one TKEY exchange per token the context puts out.
    func negotiate(deadline: Deadline) throws(AdjoinError) {
        var token = try gss { () throws(KerberosError) in try context.step(nil) }
        for _ in 0..<Self.maximumLegs {
            let now = UInt32(truncatingIfNeeded: clock.secondsSince1970)
            let query = try encode { () throws(DNSEncodeError) in
                try TKEYRecord(keyName: keyName, inception: now, expiration: now &+ Self.lifetime, keyData: token).query(id: Self.newID())
                    .encoded()
            }
            let (reply, _) = try exchange(query, "the TKEY negotiation", deadline: deadline)
            guard reply.rcode == .noError else {
                throw AdjoinError(.insufficientPermissions, "the DNS server on \(server) refused the GSS-TSIG negotiation: \(reply.rcode)")
            }
            guard let answer = reply.answers.first(where: { $0.type == DNSType.tkey }) else {
                throw AdjoinError(.networkError, "the DNS server on \(server) answered the TKEY query without a TKEY record")
            }
            let tkey: TKEYRecord
            do {
                tkey = try TKEYRecord(answer)
            } catch {
                throw AdjoinError(.networkError, "malformed TKEY answer from the DNS server on \(server): \(error)")
            }
            guard tkey.error == .noError else {
                throw AdjoinError(.insufficientPermissions, "the DNS server on \(server) refused the GSS-TSIG key: \(tkey.error)")
            }
            guard tkey.mode == TKEYRecord.gssMode, tkey.keyName.lowercased() == keyName.lowercased() else {
                throw AdjoinError(
                    .networkError, "the DNS server on \(server) answered for another key or mode (\(tkey.keyName), mode \(tkey.mode))")
            }
            // The server's token completes the context, mutual authentication included (SPNEGO with
            // Kerberos: one leg), or asks for another leg with the token the context puts out. That AP-REP
            // proves the server; the signature that counts is the one on the update's answer.
            if context.isComplete { return }
            token = try gss { () throws(KerberosError) in try context.step(tkey.keyData) }
            if context.isComplete {
                guard token.isEmpty else {
                    throw AdjoinError(.networkError, "the GSS-TSIG negotiation with \(server) ended with a token left to send")
                }
                return
            }
        }
        throw AdjoinError(.networkError, "the GSS-TSIG negotiation with \(server) did not finish within \(Self.maximumLegs) exchanges")
    }

    /// Sends `update` signed with the negotiated key; the server's answer, its signature checked when it has one.
    func send(_ update: DNSUpdate, deadline: Deadline) throws(AdjoinError) -> (DNSResponseCode, signatureVerified: Bool) {
        let id = Self.newID()
        let unsigned = try encode { () throws(DNSEncodeError) in try update.message(id: id).encoded() }
        var signature = TSIGRecord(keyName: keyName, timeSigned: UInt64(max(0, clock.secondsSince1970)), originalID: id)
        let input = try encode { () throws(DNSEncodeError) in try TSIG.macInput(message: unsigned, signature: signature) }
        signature.mac = try gss { () throws(KerberosError) in try context.mic(input) }
        let signed = try encode { () throws(DNSEncodeError) in try TSIG.appending(signature, to: unsigned) }
        let (reply, bytes) = try exchange(signed, "the update", deadline: deadline)
        guard reply.opcode == DNSMessage.opcodeUpdate else {
            throw AdjoinError(.networkError, "the DNS server on \(server) answered the update with opcode \(reply.opcode)")
        }
        let parts: (unsigned: [UInt8], signature: TSIGRecord)?
        do {
            parts = try TSIG.split(bytes, reply)
        } catch {
            throw AdjoinError(.networkError, "malformed answer to the update from the DNS server on \(server): \(error)")
        }
        guard let parts else { return (reply.rcode, false) }
        // A TSIG error (BADSIG, BADKEY, BADTIME) comes unsigned, with an empty MAC (RFC 2845 4.5.2).
        if parts.signature.error != .noError { return (parts.signature.error, false) }
        return (reply.rcode, try verify(parts, requestMAC: signature.mac))
    }

    /// The address records of `name`, asked over the same connection (an unsigned query: what the
    /// server holds, for judging an answer whose signature could not be checked).
    func addresses(of name: String, family: SocketAddress.Family, deadline: Deadline) throws(AdjoinError) -> [SocketAddress] {
        try stream.addresses(of: name, type: family == .ipv4 ? DNSType.a : DNSType.aaaa, deadline: deadline)
    }

    /// Whether the answer's MIC is the negotiated context's over what RFC 2845 4.2 says it covers.
    private func verify(_ parts: (unsigned: [UInt8], signature: TSIGRecord), requestMAC: [UInt8]?) throws(AdjoinError) -> Bool {
        guard parts.signature.keyName.lowercased() == keyName.lowercased(),
            parts.signature.algorithm.lowercased() == TSIGRecord.gssAlgorithm
        else { return false }
        let now = clock.secondsSince1970
        guard abs(now - Int64(parts.signature.timeSigned)) <= Int64(parts.signature.fudge) else { return false }
        // RFC 2845's layout first; then Samba's, whose answers cover the request's MAC without its length
        // (source4/dns_server/dns_crypto.c, dns_tsig_compute_mac): that is why nsupdate reports "tsig verify
        // failure" against it. Both bind the answer to this request and this key; anything else is refused.
        for withLength in requestMAC == nil ? [true] : [true, false] {
            let input = try encode { () throws(DNSEncodeError) in
                try TSIG.macInput(message: parts.unsigned, signature: parts.signature, requestMAC: requestMAC, requestMACLength: withLength)
            }
            if (try? context.verify(parts.signature.mac, of: input)) != nil { return true }
        }
        return false
    }

    private func exchange(_ request: [UInt8], _ what: String, deadline: Deadline) throws(AdjoinError) -> (DNSMessage, [UInt8]) {
        let bytes = try stream.exchange(request, deadline: deadline)
        do {
            let message = try DNSMessage(decoding: bytes)
            guard message.isResponse else { throw DecodeError("a query where an answer was expected", at: 2) }
            return (message, bytes)
        } catch {
            throw AdjoinError(.networkError, "malformed answer to \(what) from the DNS server on \(server): \(error)")
        }
    }

    private func gss<T>(_ body: () throws(KerberosError) -> T) throws(AdjoinError) -> T {
        do {
            return try body()
        } catch {
            throw AdjoinError(error.isNetworkFailure ? .networkError : .unknownError, "GSS-TSIG with \(server): \(error.description)")
        }
    }

    private func encode<T>(_ body: () throws(DNSEncodeError) -> T) throws(AdjoinError) -> T {
        do {
            return try body()
        } catch {
            throw .invalidInput("cannot build the DNS update: \(error)")
        }
    }

    static func newID() -> UInt16 {
        var random = SystemRandomNumberGenerator()
        return random.next()
    }
}
