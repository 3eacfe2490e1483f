import AdjoinCore

/// EC2's DescribeTags, for instances that do not expose their tags in instance metadata.
public final class EC2Client {
    private let client: AWSServiceClient
    /// Tags per page (EC2 allows 5 to 1000); small in tests to make them page.
    var pageSize = 1000

    public init(region: String, credentials: AWSCredentialProvider, environment: AWSEnvironment) throws(AdjoinError) {
        client = try AWSServiceClient(service: .ec2, region: region, endpoint: try environment.endpoint(for: .ec2, region: region),
                                      credentials: credentials)
    }

    /// Every tag of the instance, following NextToken through the pages.
    public func tags(instanceId: String, deadline: Deadline) throws(AdjoinError) -> [String: String] {
        var tags: [String: String] = [:]
        var nextToken: String? = nil
        var pages = 0
        repeat {
            var parameters = [("Filter.1.Name", "resource-id"), ("Filter.1.Value.1", instanceId), ("MaxResults", String(pageSize))]
            if let nextToken { parameters.append(("NextToken", nextToken)) }
            let reply: XMLElement
            do {
                reply = try client.callQuery("DescribeTags", version: "2016-11-15", parameters: parameters, deadline: deadline)
            } catch {
                throw AdjoinError(error.adjoinError.status, "reading the tags of \(instanceId): \(error.adjoinError.message)")
            }
            for item in reply.child("tagSet")?.children("item") ?? [] {
                guard let key = item.child("key")?.text else { continue }
                tags[key] = item.child("value")?.text ?? ""
            }
            let token = reply.child("nextToken")?.text ?? ""
            nextToken = token.isEmpty ? nil : token
            pages += 1
            // A service that kept answering with a token would otherwise hold the agent until the deadline.
            guard pages < 1000 else { throw AdjoinError(.unknownError, "\(client.label) DescribeTags kept paging past 1000 pages") }
        } while nextToken != nil
        return tags
    }
}
