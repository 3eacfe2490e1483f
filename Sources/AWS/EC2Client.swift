import AdjoinCore

/// EC2's DescribeTags, for instances that do not expose their tags in instance metadata; and
/// DescribeInstances by id, for `sweep`.
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

    /// Instance ids per DescribeInstances call: the most values EC2 takes in one filter.
    static let idsPerCall = 200

    /// The state of each instance EC2 knows among `instanceIds` (`pending`, `running`, `shutting-down`,
    /// `terminated`, `stopping`, `stopped`); an id it does not know is absent. Asked through the
    /// `instance-id` filter, which, unlike InstanceId.N, does not fail the whole call for one id EC2 no
    /// longer knows; 200 ids a call, each call's pages followed.
    public func instanceStates(_ instanceIds: [String], deadline: Deadline) throws(AdjoinError) -> [String: String] {
        var states: [String: String] = [:]
        var start = 0
        while start < instanceIds.count {
            let batch = instanceIds[start..<min(start + Self.idsPerCall, instanceIds.count)]
            start += Self.idsPerCall
            var nextToken: String? = nil
            var pages = 0
            repeat {
                var parameters = [("Filter.1.Name", "instance-id")]
                for (index, id) in batch.enumerated() { parameters.append(("Filter.1.Value.\(index + 1)", id)) }
                parameters.append(("MaxResults", String(pageSize)))
                if let nextToken { parameters.append(("NextToken", nextToken)) }
                let reply: XMLElement
                do {
                    reply = try client.callQuery("DescribeInstances", version: "2016-11-15", parameters: parameters, deadline: deadline)
                } catch {
                    throw AdjoinError(error.adjoinError.status, "describing \(batch.count) instance(s) in \(client.region): \(error.adjoinError.message)")
                }
                for reservation in reply.child("reservationSet")?.children("item") ?? [] {
                    for instance in reservation.child("instancesSet")?.children("item") ?? [] {
                        guard let id = instance.child("instanceId")?.text, let state = instance.text(at: ["instanceState", "name"]),
                              !id.isEmpty, !state.isEmpty else { continue }
                        states[id] = state
                    }
                }
                let token = reply.child("nextToken")?.text ?? ""
                nextToken = token.isEmpty ? nil : token
                pages += 1
                guard pages < 1000 else { throw AdjoinError(.unknownError, "\(client.label) DescribeInstances kept paging past 1000 pages") }
            } while nextToken != nil
        }
        return states
    }
}
