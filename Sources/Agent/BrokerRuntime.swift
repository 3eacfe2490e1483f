import AdjoinCore
import AWS
#if canImport(Glibc)
    import Glibc
#endif

/// `adjoin broker`: the Lambda function's runtime loop. One invocation at a time (Lambda sends a
/// sandbox one event at a time; more sandboxes serve more instances): the next event, the decision, the
/// response. A refusal is a response (its HTTP status and {status, message}); a failure of the broker's
/// own (an event it cannot read, a runtime API that refuses the answer) goes to /error, and the loop
/// goes on. Nothing secret is logged: the join password stays in SecretBytes inside the login, and the
/// one-time password exists only in the one response body, wiped once sent.
public struct BrokerRuntime {
    public let api: LambdaRuntimeAPI
    public let join: BrokerJoin
    /// Where the log lines go (Lambda sends standard error to CloudWatch Logs).
    public let log: @Sendable (String) -> Void

    public init(api: LambdaRuntimeAPI, join: BrokerJoin, log: @escaping @Sendable (String) -> Void) {
        self.api = api
        self.join = join
        self.log = log
    }

    /// Serves events until the runtime API stops answering `next` (the sandbox is shut down), or
    /// `limit` events (tests).
    public func run(limit: Int? = nil) throws(AdjoinError) {
        var served = 0
        while limit.map({ served < $0 }) ?? true {
            let invocation = try api.next()
            served += 1
            serve(invocation)
        }
    }

    func serve(_ invocation: LambdaRuntimeAPI.Invocation) {
        let id = invocation.requestId
        var response: [UInt8]
        if let parsed = try? JSON.parse(invocation.event), let termination = BrokerTermination.parse(parsed) {
            response = terminated(termination, requestId: id, deadline: Self.deadline(invocation.deadlineMilliseconds))
            do { try api.respond(id, body: response) } catch { log("\(id): the runtime API refused the response: \(error.message)") }
            return
        }
        do {
            let event = try BrokerEvent(invocation.event)
            let lambda = invocation.deadlineMilliseconds
            let instance = event.notAfterMilliseconds
            response = answer(event, requestId: id, deadline: Self.deadline([lambda.map { $0 - 1000 }, instance].compactMap { $0 }.min()))
        } catch {
            log("\(id): cannot read the event: \(error.message)")
            do { try api.fail(id, type: "InvalidEvent", message: error.message) } catch { log("\(id): /error refused: \(error.message)") }
            return
        }
        defer { response.wipe() }
        do {
            try api.respond(id, body: response)
        } catch {
            log("\(id): the runtime API refused the response: \(error.message)")
            do { try api.fail(id, type: "ResponseRefused", message: error.message) } catch {
                log("\(id): /error refused: \(error.message)")
            }
        }
    }

    /// EC2's terminated event: the instance's accounts removed, owner-checked; the answer says what was done.
    func terminated(
        _ event: (account: String, region: String, instanceId: String, state: String), requestId id: String,
        deadline: Deadline
    ) -> [UInt8] {
        let who = "\(event.instanceId) (account \(event.account), \(event.region))"
        do {
            let result = try BrokerTermination(join: join).handle(
                account: event.account, region: event.region, instanceId: event.instanceId,
                state: event.state, deadline: deadline)
            log("\(id): \(who) \(event.state): \(result.status): \(result.message)")
            return Array(
                JSON.object([
                    ("status", .string(result.status.rawValue)), ("instanceId", .string(event.instanceId)),
                    ("removed", .array(result.removed.map { .string($0) })), ("message", .string(result.message)),
                ]).serialized().utf8)
        } catch {
            log("\(id): \(who) \(event.state): \(error.status): \(error.message)")
            return BrokerEvent.errorBody(error.status, error.message)
        }
    }

    /// The response object for one event: the answer with the one-time password, or the refusal.
    func answer(_ event: BrokerEvent, requestId id: String, deadline: Deadline) -> [UInt8] {
        guard event.method == "POST", event.path == "/join" else {
            log("\(id): \(event.method) \(event.path) from \(event.callerARN): not found")
            return BrokerEvent.response(statusCode: 404, body: BrokerEvent.errorBody(.invalidInput, "the broker answers POST /join only"))
        }
        do throws(AdjoinError) {
            if deadline.isExpired {
                throw AdjoinError(.timeout, "the instance stopped waiting before the broker could serve it: nothing was created")
            }
            switch try join.decide(callerARN: event.callerARN, regionHint: event.regionHint, deadline: deadline) {
            case .join(let answer):
                log("\(id): \(event.callerARN): PRESET \(answer.computerDN) (\(answer.created ? "created" : "reset"))")
                var body = answer.body()
                defer { body.wipe() }
                answer.oneTimePassword.wipe()
                return BrokerEvent.response(statusCode: 200, body: body)
            case .skipped(let message):
                log("\(id): \(event.callerARN): SKIPPED: \(message)")
                return BrokerEvent.response(statusCode: 200, body: BrokerEvent.errorBody(.skipped, message))
            }
        } catch {
            log("\(id): \(event.callerARN.isEmpty ? "anonymous" : event.callerARN): \(error.status): \(error.message)")
            return BrokerEvent.response(statusCode: BrokerEvent.httpStatus(error.status), body: BrokerEvent.errorBody(error))
        }
    }

    /// The whole command: configuration from the environment Lambda sets, the broker's world, and the
    /// loop; a broker that cannot start tells the runtime API's /init/error. Returns the status to exit with.
    public static func main(events: Int?, log: @escaping @Sendable (String) -> Void) -> Status {
        let environment = AWSEnvironment.current()
        guard let address = environment.value("AWS_LAMBDA_RUNTIME_API") else {
            log("adjoin broker: AWS_LAMBDA_RUNTIME_API is not set: this command runs as a Lambda function")
            return .invalidInput
        }
        let api: LambdaRuntimeAPI
        do {
            api = try LambdaRuntimeAPI(address)
        } catch {
            log("adjoin broker: \(error.message)")
            return .invalidInput
        }
        let join: BrokerJoin
        do {
            let world = try BrokerAWS(environment: environment, deadline: Deadline(seconds: 20), progress: { log($0) })
            join = BrokerJoin(
                world: world, allowed: try BrokerAllowList(parsing: environment.value("ADJOIN_BROKER_ALLOWED")),
                region: world.region, progress: { log($0) })
        } catch {
            log("adjoin broker: cannot start: \(error.status): \(error.message)")
            try? api.failInitialization(type: "Broker." + error.status.rawValue, message: error.message)
            return error.status
        }
        do {
            try BrokerRuntime(api: api, join: join, log: log).run(limit: events)
            return .unknownError
        } catch {
            log("adjoin broker: the runtime API stopped answering: \(error.message)")
            return error.status
        }
    }

    /// Until `milliseconds` (since 1970: Lambda's deadline less a second to send the answer, or the
    /// instance's own if sooner); 20 s when neither is known. A time already past leaves no budget: the
    /// first step then fails with TIMEOUT, before anything is created.
    static func deadline(_ milliseconds: Int64?) -> Deadline {
        guard let milliseconds else { return Deadline(seconds: 20) }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let left = Double(milliseconds - (Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000)) / 1000
        return Deadline(seconds: max(0, min(left, 900)))
    }
}
