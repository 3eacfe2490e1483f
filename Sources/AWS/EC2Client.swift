import AdjoinCore

/// EC2's DescribeTags, for instances that do not expose their tags in instance metadata; and
/// DescribeInstances by id, for `sweep`.
public final class EC2Client {
    private let client: AWSServiceClient
    /// Tags per page (EC2 allows 5 to 1000); small in tests to make them page.
    var pageSize = 1000

    public convenience init(region: String, credentials: AWSCredentialProvider, environment: AWSEnvironment) throws(AdjoinError) {
        try self.init(region: region, credentials: credentials, environment: environment, transport: environment.makeTransport())
    }

    /// `transport`: libcurl when nil.
    init(
        region: String, credentials: AWSCredentialProvider, environment: AWSEnvironment, transport: (any HTTPTransport)?
    ) throws(AdjoinError) {
        client = try AWSServiceClient(
            service: .ec2, region: region, endpoint: try environment.endpoint(for: .ec2, region: region),
            credentials: credentials, transport: transport)
    }

    /// Every tag of the instance, following NextToken through the pages.
    public func tags(instanceId: String, deadline: Deadline) throws(AdjoinError) -> [String: String] {
        var tags: [String: String] = [:]
        try eachPage(
            "DescribeTags", [("Filter.1.Name", "resource-id"), ("Filter.1.Value.1", instanceId)],
            what: "reading the tags of \(instanceId)", deadline: deadline
        ) { reply in
            for item in reply.child("tagSet")?.children("item") ?? [] {
                guard let key = item.child("key")?.text else { continue }
                tags[key] = item.child("value")?.text ?? ""
            }
        }
        return tags
    }

    /// Calls `action` with `parameters` and `pageSize`, then again with each NextToken the reply holds;
    /// `page` reads each reply. A failure's message starts with `what`.
    private func eachPage(
        _ action: String, _ parameters: [(String, String)], what: String, deadline: Deadline,
        page: (XMLElement) -> Void
    ) throws(AdjoinError) {
        var nextToken: String? = nil
        var pages = 0
        repeat {
            var query = parameters + [("MaxResults", String(pageSize))]
            if let nextToken { query.append(("NextToken", nextToken)) }
            let reply: XMLElement
            do {
                reply = try client.callQuery(action, version: "2016-11-15", parameters: query, deadline: deadline)
            } catch {
                throw AdjoinError(error.adjoinError.status, "\(what): \(error.adjoinError.message)")
            }
            page(reply)
            let token = reply.child("nextToken")?.text ?? ""
            nextToken = token.isEmpty ? nil : token
            pages += 1
            // A service that kept answering with a token would otherwise hold the agent until the deadline.
            guard pages < 1000 else { throw AdjoinError(.unknownError, "\(client.label) \(action) kept paging past 1000 pages") }
        } while nextToken != nil
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
            let filter = [("Filter.1.Name", "instance-id")] + batch.enumerated().map { ("Filter.1.Value.\($0.offset + 1)", $0.element) }
            try eachPage("DescribeInstances", filter, what: "describing \(batch.count) instance(s) in \(client.region)", deadline: deadline)
            { reply in
                for reservation in reply.child("reservationSet")?.children("item") ?? [] {
                    for instance in reservation.child("instancesSet")?.children("item") ?? [] {
                        guard let id = instance.child("instanceId")?.text, let state = instance.text(at: ["instanceState", "name"]),
                            !id.isEmpty, !state.isEmpty
                        else { continue }
                        states[id] = state
                    }
                }
            }
        }
        return states
    }

    /// What EC2 says of one instance: the broker's evidence, never the caller's word.
    public struct InstanceDescription: Sendable, Equatable {
        public var instanceId: String
        public var state: String
        /// The private DNS name (ip-10-0-0-12.ec2.internal), what metadata's `hostname` says on the instance.
        public var privateDnsName: String?
        public var privateIPv4: String?
        public var tags: [String: String]

        public init(instanceId: String, state: String, privateDnsName: String?, privateIPv4: String?, tags: [String: String]) {
            self.instanceId = instanceId
            self.state = state
            self.privateDnsName = privateDnsName
            self.privateIPv4 = privateIPv4
            self.tags = tags
        }
    }

    /// The instance `instanceId` with its state, private name and address and its tags; nil when EC2 does
    /// not know it (in this account and Region).
    public func describe(instanceId: String, deadline: Deadline) throws(AdjoinError) -> InstanceDescription? {
        var found: InstanceDescription?
        try eachPage(
            "DescribeInstances", [("Filter.1.Name", "instance-id"), ("Filter.1.Value.1", instanceId)],
            what: "describing the instance \(instanceId) in \(client.region)", deadline: deadline
        ) { reply in
            for reservation in reply.child("reservationSet")?.children("item") ?? [] {
                for instance in reservation.child("instancesSet")?.children("item") ?? [] {
                    guard instance.child("instanceId")?.text == instanceId, let state = instance.text(at: ["instanceState", "name"]) else {
                        continue
                    }
                    var tags: [String: String] = [:]
                    for item in instance.child("tagSet")?.children("item") ?? [] {
                        guard let key = item.child("key")?.text else { continue }
                        tags[key] = item.child("value")?.text ?? ""
                    }
                    let name = instance.child("privateDnsName")?.text
                    let address = instance.child("privateIpAddress")?.text
                    found = InstanceDescription(
                        instanceId: instanceId, state: state, privateDnsName: name?.isEmpty == false ? name : nil,
                        privateIPv4: address?.isEmpty == false ? address : nil, tags: tags)
                }
            }
        }
        return found
    }
}
