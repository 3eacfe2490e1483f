/// The requests an IMDS emulator (scripts/lab-support/imds.py) logged, in order, from its stderr:
/// "imds: 2026-01-01T00:00:00Z GET /path 200" becomes "GET /path 200"; other lines are left out.
public func imdsRequests(inLog text: String) -> [String] {
    text.split(separator: "\n").compactMap { line in
        let parts = line.split(separator: " ")
        return parts.count >= 5 && parts[0] == "imds:" && (parts[2] == "GET" || parts[2] == "PUT")
            ? parts[2...].joined(separator: " ") : nil
    }
}
