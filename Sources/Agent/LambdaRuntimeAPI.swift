import AdjoinCore
#if canImport(Glibc)
    import Glibc
#endif

/// The Lambda Runtime API (`AWS_LAMBDA_RUNTIME_API`, host:port, plain HTTP on the sandbox's loopback):
/// `GET /2018-06-01/runtime/invocation/next` waits for an event; its id and deadline come in headers;
/// the answer goes to `/invocation/{id}/response` or `/error`, and a broker that cannot start says so at
/// `/runtime/init/error`. One small HTTP/1.1 exchange per call, its connection closed after, so that the
/// runtime needs no HTTP library (the bundle's libcurl is for AWS's HTTPS endpoints).
public struct LambdaRuntimeAPI: Sendable {
    public let address: SocketAddress
    public let hostHeader: String

    public init(_ text: String) throws(AdjoinError) {
        let given = try HostPort(parsing: text)
        let host = given.host == "localhost" ? "127.0.0.1" : given.host
        guard let port = given.port, let address = SocketAddress(numericHost: host, port: port) else {
            throw .invalidInput("AWS_LAMBDA_RUNTIME_API must be IP:port (Lambda sets it), not \"\(text)\"")
        }
        self.address = address
        hostHeader = text
    }

    public struct Invocation {
        public var requestId: String
        /// Lambda-Runtime-Deadline-Ms: when the function's time is up, in ms since 1970.
        public var deadlineMilliseconds: Int64?
        public var event: [UInt8]
    }

    /// Waits (without a time limit: Lambda freezes the sandbox meanwhile) for the next event.
    public func next() throws(AdjoinError) -> Invocation {
        let (status, headers, body) = try exchange("GET", "/2018-06-01/runtime/invocation/next", body: [], deadline: nil)
        guard status == 200, let id = headers["lambda-runtime-aws-request-id"], !id.isEmpty,
            id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") })
        else {
            throw AdjoinError(.unknownError, "the runtime API answered /invocation/next with HTTP \(status) and no usable request id")
        }
        return Invocation(requestId: id, deadlineMilliseconds: headers["lambda-runtime-deadline-ms"].flatMap { Int64($0) }, event: body)
    }

    public func respond(_ requestId: String, body: [UInt8]) throws(AdjoinError) {
        try post("/2018-06-01/runtime/invocation/\(requestId)/response", body: body)
    }

    /// An invocation that failed for a reason of the broker's own (not a refusal, which is a response).
    public func fail(_ requestId: String, type: String, message: String) throws(AdjoinError) {
        try post("/2018-06-01/runtime/invocation/\(requestId)/error", body: Self.errorBody(type: type, message: message), errorType: type)
    }

    public func failInitialization(type: String, message: String) throws(AdjoinError) {
        try post("/2018-06-01/runtime/init/error", body: Self.errorBody(type: type, message: message), errorType: type)
    }

    static func errorBody(type: String, message: String) -> [UInt8] {
        Array(JSON.object([("errorMessage", .string(message)), ("errorType", .string(type))]).serialized().utf8)
    }

    private func post(_ path: String, body: [UInt8], errorType: String? = nil) throws(AdjoinError) {
        let (status, _, _) = try exchange(
            "POST", path, body: body, extraHeaders: errorType.map { ["Lambda-Runtime-Function-Error-Type: \($0)"] } ?? [],
            deadline: Deadline(seconds: 10))
        guard (200..<300).contains(status) else {
            throw AdjoinError(.unknownError, "the runtime API answered POST \(path) with HTTP \(status)")
        }
    }

    /// One request on a fresh connection; the whole reply read (Content-Length, else to the close).
    private func exchange(
        _ method: String, _ path: String, body: [UInt8], extraHeaders: [String] = [],
        deadline: Deadline?
    ) throws(AdjoinError) -> (Int, [String: String], [UInt8]) {
        let connectBudget = deadline ?? Deadline(seconds: 10)
        let socket = try TCPConnect.open(address, deadline: connectBudget, purpose: "the Lambda runtime API")
        defer { close(socket) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nConnection: close\r\n"
        for header in extraHeaders { head += header + "\r\n" }
        if method == "POST" { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        var request = Array((head + "\r\n").utf8) + body
        defer { request.wipe() }
        let sent = request.withUnsafeBytes { (try? POSIX.writeAll(socket, $0)) != nil }
        guard sent else { throw .network("cannot send to the Lambda runtime API at \(hostHeader): \(Errno.current)") }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            if let deadline {
                var waiting = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
                let ready = (try? POSIX.poll(&waiting, milliseconds: deadline.remainingMilliseconds)) ?? -1
                if ready == 0 { throw .timeout("the Lambda runtime API at \(hostHeader) did not answer \(method) \(path) in time") }
            }
            guard let count = buffer.withUnsafeMutableBytes({ try? POSIX.read(socket, into: $0) }) else {
                throw .network("cannot read from the Lambda runtime API at \(hostHeader): \(Errno.current)")
            }
            if count == 0 { break }
            reply += buffer[0..<count]
            if let parsed = Self.parse(reply), parsed.complete { return (parsed.status, parsed.headers, parsed.body) }
        }
        guard let parsed = Self.parse(reply) else {
            throw .network("the Lambda runtime API at \(hostHeader) closed the connection without an HTTP answer to \(method) \(path)")
        }
        return (parsed.status, parsed.headers, parsed.body)
    }

    /// The status, lower-cased headers and body of what arrived so far; `complete` once Content-Length bytes are in.
    static func parse(_ bytes: [UInt8]) -> (status: Int, headers: [String: String], body: [UInt8], complete: Bool)? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = bytes.indices.dropLast(3).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else { return nil }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false).map(
            String.init)
        let statusWords = lines[0].split(separator: " ")
        guard statusWords.count >= 2, statusWords[0].hasPrefix("HTTP/1."), let status = Int(statusWords[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...]).trimmingCharacters(in: " \t")
        }
        let body = Array(bytes[(end + 4)...])
        guard let length = headers["content-length"].flatMap(Int.init) else { return (status, headers, body, false) }
        return (status, headers, Array(body.prefix(length)), body.count >= length)
    }
}

private extension String {
    func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
