import AdjoinCore
import Testing
@testable import AWS

/// Each way GetSecretValue fails has its own status and message, naming the secret and the reader,
/// never the service's text (which could echo a request).
@Suite struct SecretsManagerErrorTests {
    private let id = "arn:aws:secretsmanager:eu-west-1:409876543210:secret:adjoin/join-AbCdEf"

    private func explain(_ code: String, _ message: String? = nil) -> AdjoinError {
        let reply = AWSServiceError(code: code, message: message, httpStatus: 400)
        return SecretsManagerClient.explain(
            .service(reply, reply.adjoinError("Secrets Manager GetSecretValue")), secretId: id,
            reader: "the role arn:aws:iam::409876543210:role/reader", region: "eu-west-1")
    }

    @Test func everyRefusalSaysWhichOne() {
        let missing = explain("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
        #expect(missing.status == .invalidInput)
        #expect(missing.message.contains("\(id) does not exist in eu-west-1"))

        let refused = explain(
            "AccessDeniedException", "User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: secretsmanager:GetSecretValue")
        #expect(refused.status == .accessDenied)
        #expect(
            refused.message.contains(
                "reading the Secrets Manager secret \(id) was refused to the role arn:aws:iam::409876543210:role/reader"))
        #expect(!refused.message.contains("is not authorized"))

        for (code, message) in [
            ("AccessDeniedException", "Access to KMS is not allowed"), ("DecryptionFailure", "KMS key disabled"),
            ("KMSAccessDeniedException", nil),
        ] {
            let kms = explain(code, message)
            #expect(kms.status == .accessDenied)
            #expect(kms.message.hasPrefix("KMS refused to decrypt the Secrets Manager secret \(id)"), "\(code)")
        }

        let deleted = explain("InvalidRequestException", "You tried to perform the operation on a secret that's currently marked deleted.")
        #expect(deleted.status == .invalidInput && deleted.message.contains("deleted or scheduled for deletion"))
    }
}
