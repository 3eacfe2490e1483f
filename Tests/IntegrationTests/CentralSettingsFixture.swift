import AdjoinCore
import Foundation
import TestSupport

/// Temporary credentials of a role, as an instance profile hands them out.
struct RoleCredentials {
    let accessKeyId: String
    let secretAccessKey: String
    let sessionToken: String
}

/// The central account's side of the central settings tests, set up in moto directly. moto keeps one
/// backend per account and files each request under the account its access key belongs to (the role's
/// account, for keys that its STS issued), so a table, secret or parameter made with a role's keys is
/// reachable only with keys of that role's account.
extension AWSFixture {
    /// Credentials of `arn:aws:iam::ACCOUNT:role/NAME`, from moto's STS, registered with the checking proxy.
    func roleCredentials(_ role: String) throws -> RoleCredentials {
        let answer = try AWSFixtures.call("assume_role", ["role": role])
        guard let c = answer as? [String: String], let id = c["accessKeyId"], let secret = c["secretAccessKey"],
            let token = c["sessionToken"]
        else {
            throw AdminError(message: "moto's AssumeRole gave no credentials: \(String(describing: answer))")
        }
        try registerKey(id, secret: secret)
        return RoleCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token)
    }

    /// A table keyed by `key` (a string) in `role`'s account, if it is not there yet.
    func createTable(_ name: String, key: String, role: String, region: String) throws {
        try AWSFixtures.call("create_status_table", ["name": name, "key": key, "role": role, "region": region])
    }

    /// An item in DynamoDB's own JSON ({"accountId": {"S": ...}, ...}), written as boto3 writes it.
    func putSettingsItem(table: String, item: [String: Any], role: String, region: String) throws {
        try AWSFixtures.call("put_item", ["table": table, "item": item, "role": role, "region": region])
    }

    /// A Secrets Manager secret in `role`'s account (replaced if it exists); returns its ARN.
    func putSecret(_ name: String, value: String, role: String, region: String) throws -> String {
        let arn = try AWSFixtures.call("put_secret", ["name": name, "value": value, "role": role, "region": region])
        guard let arn = arn as? String else { throw AdminError(message: "put_secret gave no ARN: \(String(describing: arn))") }
        return arn
    }

    /// A parameter in `role`'s account (String for a pointer, SecureString for a password).
    func putParameter(_ name: String, value: String, type: String, role: String, region: String) throws {
        try AWSFixtures.call("put_parameter", ["name": name, "value": value, "type": type, "role": role, "region": region])
    }

    /// The next `operation` signed with `sessionToken` (nil: any, for credentials the agent gets itself)
    /// gets this error reply from the proxy instead of moto's.
    /// `bodyContains`: only a request whose body holds it (a secret's ARN) takes the failure.
    func failNext(
        operation: String, sessionToken: String? = nil, status: Int, code: String, message: String, bodyContains: String? = nil
    ) throws {
        let digest = sessionToken.map { String(SHA256.hash(Array($0.utf8)).hexString.prefix(16)) } ?? "*"
        try planProxyFailures(
            proxyEndpoint: proxyEndpoint, tokenDigest: digest, operation: operation, failures: [(status, code)], message: message,
            bodyContains: bodyContains)
    }
}
