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
        let text = try boto3("""
            c = client('sts').assume_role(RoleArn=sys.argv[1], RoleSessionName='instance')['Credentials']
            print(json.dumps([c['AccessKeyId'], c['SecretAccessKey'], c['SessionToken']]))
            """, [role])
        let parts = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String] ?? []
        guard parts.count == 3 else { throw AdminError(message: "moto's AssumeRole gave no credentials: \(text)") }
        try registerKey(parts[0], secret: parts[1])
        return RoleCredentials(accessKeyId: parts[0], secretAccessKey: parts[1], sessionToken: parts[2])
    }

    /// A table keyed by `key` (a string) in `role`'s account, if it is not there yet.
    func createTable(_ name: String, key: String, role: String, region: String) throws {
        _ = try boto3("""
            c = client('dynamodb', sys.argv[3], sys.argv[2])
            if sys.argv[1] not in c.list_tables()['TableNames']:
                c.create_table(TableName=sys.argv[1], KeySchema=[{'AttributeName': sys.argv[4], 'KeyType': 'HASH'}],
                    AttributeDefinitions=[{'AttributeName': sys.argv[4], 'AttributeType': 'S'}], BillingMode='PAY_PER_REQUEST')
            """, [name, role, region, key])
    }

    /// An item in DynamoDB's own JSON ({"accountId": {"S": ...}, ...}), written as boto3 writes it.
    func putSettingsItem(table: String, item: [String: Any], role: String, region: String) throws {
        _ = try boto3("""
            client('dynamodb', sys.argv[3], sys.argv[2]).put_item(TableName=sys.argv[1], Item=json.loads(sys.argv[4]))
            """, [table, role, region, String(decoding: try JSONSerialization.data(withJSONObject: item), as: UTF8.self)])
    }

    /// A Secrets Manager secret in `role`'s account (replaced if it exists); returns its ARN.
    func putSecret(_ name: String, value: String, role: String, region: String) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("adjoin-fixture-\(UUID().uuidString)")
        try value.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try boto3("""
            c = client('secretsmanager', sys.argv[3], sys.argv[2])
            value = open(sys.argv[4]).read()
            try:
                print(c.create_secret(Name=sys.argv[1], SecretString=value)['ARN'])
            except c.exceptions.ResourceExistsException:
                print(c.put_secret_value(SecretId=sys.argv[1], SecretString=value)['ARN'])
            """, [name, role, region, file.path])
    }

    /// A parameter in `role`'s account (String for a pointer, SecureString for a password).
    func putParameter(_ name: String, value: String, type: String, role: String, region: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("adjoin-fixture-\(UUID().uuidString)")
        try value.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try boto3("""
            client('ssm', sys.argv[4], sys.argv[3]).put_parameter(Name=sys.argv[1], Value=open(sys.argv[5]).read(), Type=sys.argv[2], Overwrite=True)
            """, [name, type, role, region, file.path])
    }

    /// The next `operation` signed with `sessionToken` (nil: any, for credentials the agent gets itself)
    /// gets this error reply from the proxy instead of moto's.
    func failNext(operation: String, sessionToken: String? = nil, status: Int, code: String, message: String) throws {
        let digest = sessionToken.map { String(SHA256.hash(Array($0.utf8)).hexString.prefix(16)) } ?? "*"
        try planProxyFailures(proxyEndpoint: proxyEndpoint, tokenDigest: digest, operation: operation, failures: [(status, code)], message: message)
    }
}
