import Messenger
import MessengerHTTP

/// A dispatched message as the endpoints answer it: its id, status and where to poll it. A
/// deduplicated dispatch answers the message already waiting (`already_queued`) or running
/// (`already_running`); one a sync route handled at once and that failed, `failed` with the error.
struct DispatchAnswer: Encodable {
    let id: String
    let status: String
    let statusUrl: String
    var error: String?

    /// Dispatches `message` on `bus`; a handler's failure (sync route) is an answer, not an error.
    static func dispatch(_ message: some Message, on bus: MessageBus, _ request: APIRequest) async throws -> DispatchAnswer {
        do {
            return DispatchAnswer(try await bus.dispatch(message), request)
        } catch let failed as HandlerFailedError {
            let id = failed.envelope.messageId ?? ""
            var answer = DispatchAnswer(id: id, status: MessageStatus.failed.rawValue, statusUrl: request.statusURL(messageId: id))
            answer.error = failed.failures.first.map { "\($0.error)" }
            return answer
        }
    }

    init(id: String, status: String, statusUrl: String) {
        self.id = id
        self.status = status
        self.statusUrl = statusUrl
    }

    init(_ envelope: Envelope, _ request: APIRequest) {
        let outcome = DispatchOutcome(envelope)
        (id, status) = (outcome.id, outcome.status)
        statusUrl = request.statusURL(messageId: id)
    }

    var isDuplicate: Bool { status.hasPrefix("already_") }
}
