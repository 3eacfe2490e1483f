import AdjoinCore

/// AWS Signature Version 4 (the "Signing AWS API requests" reference): the request is signed here,
/// never by libcurl's CURLOPT_AWS_SIGV4, which does not sort the query on curl 7.88.
struct SigV4Signer {
    let service: String
    let region: String

    /// Adds X-Amz-Date, the session token and Authorization. Every header already on the request is
    /// signed (the clients add only content-type and x-amz-target), and so is the host.
    func sign(_ request: inout HTTPRequest, with credentials: AWSCredentials, at time: UTCTime) {
        request.headers.removeAll { ["authorization", "x-amz-date", "x-amz-security-token"].contains($0.name.lowercased()) }
        request.headers.append(HTTPHeader("X-Amz-Date", time.amzDate))
        if let token = credentials.sessionToken {
            request.headers.append(HTTPHeader("X-Amz-Security-Token", secret: token))
        }
        let scope = "\(time.dateStamp)/\(region)/\(service)/aws4_request"
        var canonical = canonicalRequest(request)
        let stringToSign = "AWS4-HMAC-SHA256\n\(time.amzDate)\n\(scope)\n\(SHA256.hash(canonical.bytes).hexString)"
        canonical.bytes.wipe()
        var key = signingKey(credentials.secretAccessKey, date: time.dateStamp)
        let signature = SHA256.hmac(key: key, message: Array(stringToSign.utf8)).hexString
        key.wipe()
        request.headers.append(
            HTTPHeader(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"
            ))
    }

    /// The canonical request as bytes (it holds the session token, so the caller wipes it) and the
    /// list of signed header names.
    func canonicalRequest(_ request: HTTPRequest) -> (bytes: [UInt8], signedHeaders: String) {
        var headers: [(name: String, value: [UInt8])] = [("host", Array(request.endpoint.hostHeader.utf8))]
        for header in request.headers {
            let value: [UInt8]
            switch header.value {
            case .text(let text): value = Array(text.utf8)
            case .secret(let secret): value = secret.withUnsafeBytes { Array($0) }
            }
            headers.append((header.name.lowercased(), SigV4Signer.trimmed(value)))
        }
        headers.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        let signedHeaders = headers.map(\.name).joined(separator: ";")
        let query = request.query
            .map { (URIEncoding.encode($0.0), URIEncoding.encode($0.1)) }
            .sorted { $0.0 == $1.0 ? $0.1.utf8.lexicographicallyPrecedes($1.1.utf8) : $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
            .map { $0.0 + "=" + $0.1 }
            .joined(separator: "&")
        var bytes = Array("\(request.method)\n\(URIEncoding.encodePath(request.fullPath))\n\(query)\n".utf8)
        for index in headers.indices {
            bytes += Array(headers[index].name.utf8) + [UInt8(ascii: ":")] + headers[index].value + [UInt8(ascii: "\n")]
            headers[index].value.wipe()
        }
        bytes += Array("\n\(signedHeaders)\n\(SHA256.hash(request.body).hexString)".utf8)
        return (bytes, signedHeaders)
    }

    private func signingKey(_ secret: SecretBytes, date: String) -> [UInt8] {
        var seed = Array("AWS4".utf8)
        secret.withUnsafeBytes { seed.append(contentsOf: $0) }
        defer { seed.wipe() }
        var key = SHA256.hmac(key: seed, message: Array(date.utf8))
        for part in [region, service, "aws4_request"] {
            let next = SHA256.hmac(key: key, message: Array(part.utf8))
            key.wipe()
            key = next
        }
        return key
    }

    /// Header values lose leading and trailing blanks, and runs of blanks inside become one space.
    private static func trimmed(_ value: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(value.count)
        var pendingSpace = false
        for byte in value {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(UInt8(ascii: " ")) }
                pendingSpace = false
                out.append(byte)
            }
        }
        return out
    }
}
