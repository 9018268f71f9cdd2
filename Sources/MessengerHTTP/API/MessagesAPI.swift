import Foundation
import Hummingbird
import Messenger
import MessengerConsole

/// `/api/messages`: dispatch, read, list, cancel, retry and delete messages.
struct MessagesAPI: Sendable {
    let monitor: MessengerMonitor
    let options: DashboardOptions
    var kernel: MessengerKernel { monitor.kernel }

    struct DispatchBody: Decodable {
        struct Deduplicate: Decodable {
            let key: String
            let whileRunning: Bool?
        }

        let type: String
        let payload: JSONValue?
        let delayMs: Int?
        let priority: Int?
        let group: String?
        let deduplicate: Deduplicate?
    }

    struct Accepted: Encodable {
        let id: String
        let status: String
        let statusUrl: String
        /// Why a message handled at once (sync route) failed.
        var error: MessageView.Failure?
    }

    /// What a sync route's handler failure says: the message was taken and handled, and failed.
    static func failure(_ failed: HandlerFailedError) -> MessageView.Failure {
        let details = FailureClassification.details(of: failed, transportName: "sync")
        return MessageView.Failure(type: details.errorType, message: details.message, handler: details.location)
    }

    /// `POST /api/messages`: 202 stored (200 when handled at once by a sync route, with status failed
    /// and the error when its handler failed), 409 a duplicate, 422 an unknown type or a payload that
    /// does not decode.
    func dispatch(_ request: inout Request) async throws -> Response {
        let body = try await request.decodeJSON(DispatchBody.self)
        if let delay = body.delayMs, delay < 0 || delay > 366 * 86_400_000 {
            throw HTTPProblem(.unprocessableContent, "delay_ms must be from 0 to one year in milliseconds, got \(delay)")
        }
        if let priority = body.priority, !(0...PriorityStamp.highest).contains(priority) {
            throw HTTPProblem(.unprocessableContent, "priority must be from 0 to \(PriorityStamp.highest), got \(priority)")
        }
        // Lengths as the OpenAPI schema counts them (JSON Schema: code points, not grapheme clusters).
        if let group = body.group, group.isEmpty || group.unicodeScalars.count > GroupStamp.maximumLength {
            throw HTTPProblem(.unprocessableContent, "group must be 1 to \(GroupStamp.maximumLength) characters")
        }
        if let key = body.deduplicate?.key, key.isEmpty || key.unicodeScalars.count > 255 {
            throw HTTPProblem(.unprocessableContent, "deduplicate.key must be 1 to 255 characters")
        }
        let payload = String(decoding: try JSONEncoder().encode(body.payload ?? .object([:])), as: UTF8.self)
        let message: any Message
        do {
            message = try kernel.serializer.decodeMessage(named: body.type, json: payload)
        } catch {
            throw HTTPProblem(.unprocessableContent, "\(error)", fields: ["type": .string(body.type)])
        }
        var stamps: [any Stamp] = []
        if let delay = body.delayMs, delay > 0 { stamps.append(DelayStamp(milliseconds: delay)) }
        if let priority = body.priority, priority > 0 { stamps.append(PriorityStamp(priority)) }
        if let group = body.group { stamps.append(GroupStamp(group)) }
        if let deduplicate = body.deduplicate { stamps.append(DeduplicateStamp(deduplicate.key, whileHandling: deduplicate.whileRunning ?? false)) }
        let envelope: Envelope
        do {
            envelope = try await kernel.bus.dispatch(Envelope(message, stamps: stamps))
        } catch let failed as HandlerFailedError {
            let id = failed.envelope.messageId ?? ""
            return try Responses.json(Accepted(id: id, status: MessageStatus.failed.rawValue, statusUrl: MessageView.statusURL(id, basePath: options.basePath),
                                               error: Self.failure(failed)))
        }
        let outcome = DispatchOutcome(envelope)
        let status: HTTPResponse.Status = outcome.isDuplicate ? .conflict : outcome.status == MessageStatus.completed.rawValue ? .ok : .accepted
        return try Responses.json(Accepted(id: outcome.id, status: outcome.status, statusUrl: MessageView.statusURL(outcome.id, basePath: options.basePath)),
                                  status: status)
    }

    /// `GET /api/messages/{id}`.
    func show(_ id: String) async throws -> Response {
        guard let (record, _) = try await monitor.record(id: id) else { throw HTTPProblem(.notFound, "no message with id \(id)") }
        return try Responses.json(MessageView(record, basePath: options.basePath))
    }

    struct CancelAnswer: Encodable {
        let id: String
        let status: String
        let cancelRequested: Bool
    }

    /// `POST /api/messages/{id}/cancel`: 200 cancelled, 202 its worker was asked to stop it, 409 finished.
    func cancel(_ id: String) async throws -> Response {
        guard let (_, store) = try await monitor.record(id: id) else { throw HTTPProblem(.notFound, "no message with id \(id)") }
        switch try await store.cancel(id: id) {
        case .cancelled: return try Responses.json(CancelAnswer(id: id, status: "cancelled", cancelRequested: false))
        case .cancelling: return try Responses.json(CancelAnswer(id: id, status: "running", cancelRequested: true), status: .accepted)
        case .alreadyFinished(let status):
            throw HTTPProblem(.conflict, "message \(id) has already finished (\(status.rawValue))", fields: ["id": .string(id), "status": .string(status.rawValue)])
        case .missing: throw HTTPProblem(.notFound, "no message with id \(id)")
        }
    }

    /// `POST /api/messages/{id}/retry`: a failed (parked) message handled again now, here.
    func retry(_ id: String) async throws -> Response {
        guard let (record, _) = try await monitor.record(id: id) else { throw HTTPProblem(.notFound, "no message with id \(id)") }
        let status: MessageStatus
        switch try await retry(record) {
        case .handled: status = .completed
        case .failedAgain: status = .failed
        case .held: throw HTTPProblem(.conflict, "message \(id) is being retried or handled by another process", fields: ["id": .string(id), "status": .string("running")])
        case .missing: throw HTTPProblem(.conflict, "message \(id) is no longer parked (retried or removed already)", fields: ["id": .string(id)])
        }
        return try Responses.json(Accepted(id: id, status: status.rawValue, statusUrl: MessageView.statusURL(id, basePath: options.basePath)))
    }

    /// Retries a record's parked message; a record that is not failed-and-parked is a 409.
    func retry(_ record: MessageRecord) async throws -> FailedRetryOutcome {
        guard record.status == .failed, let row = record.rowId else {
            throw HTTPProblem(.conflict, "message \(record.id) is \(record.status.rawValue), not failed and parked: nothing to retry",
                              fields: ["id": .string(record.id), "status": .string(record.status.rawValue)])
        }
        do {
            return try await kernel.retryFailed(id: row, in: record.transport, logger: kernel.logger)
        } catch let error as MessengerError {
            throw HTTPProblem(.conflict, "message \(record.id) cannot be retried: \(error)", fields: ["id": .string(record.id)])
        }
    }

    struct Page: Encodable {
        let messages: [MessageView]
        let nextCursor: String?
        let nextUrl: String?
    }

    /// `GET /api/messages?status=&type=&queue=&q=&limit=&cursor=`: newest first, keyset pages.
    func list(_ request: Request) async throws -> Response {
        let (query, _) = try Self.query(from: request)
        let (records, next) = try await monitor.page(query)
        return try Responses.json(Page(messages: records.map { MessageView($0, basePath: options.basePath) }, nextCursor: next?.description,
                                       nextUrl: next.map { Self.listingURL("\(options.basePath)/api/messages", request, cursor: $0) }))
    }

    /// A listing's URL at `path` with the request's filters and page size, continuing after `cursor`.
    static func listingURL(_ path: String, _ request: Request, cursor: MessageRecordCursor?) -> String {
        var components = URLComponents()
        components.path = path
        components.queryItems = ["status", "type", "queue", "q", "limit"].compactMap { name in request.query(name).map { URLQueryItem(name: name, value: $0) } }
            + (cursor.map { [URLQueryItem(name: "cursor", value: $0.description)] } ?? [])
        return components.string ?? path
    }

    /// The query of a listing's parameters (400 naming a bad one).
    static func query(from request: Request) throws -> (MessageRecordQuery, MessageFilter) {
        let filter = MessageFilter(status: request.query("status"), type: request.query("type"), queue: request.query("queue"), q: request.query("q"))
        var query = try filter.query(limit: try request.integer("limit", in: 1...1000) ?? 50)
        if let text = request.query("cursor") {
            guard let cursor = MessageRecordCursor(text) else { throw HTTPProblem(.badRequest, "cursor \"\(text)\" is not one this API returned") }
            query.after = cursor
        }
        return (query, filter)
    }

    // MARK: Bulk actions

    struct BulkAnswer: Encodable {
        let matched: Int
        var done: Int = 0
        var pending: Int = 0
        var skipped: Int = 0
        var failedAgain: Int = 0
    }

    /// The records a bulk action touches: its body's filter (a filter, ids, or `"all": true`).
    func targets(_ filter: MessageFilter) async throws -> [MessageRecord] {
        guard !filter.isEmpty || filter.all == true else {
            throw HTTPProblem(.unprocessableContent, "give a filter (status, type, queue, q or ids), or \"all\": true to act on every message")
        }
        if let ids = filter.ids {
            guard ids.count <= options.bulkLimit else { throw HTTPProblem(.unprocessableContent, "at most \(options.bulkLimit) ids per request") }
            let query = try filter.query()
            var found: [MessageRecord] = []
            for id in ids {
                if let (record, _) = try await monitor.record(id: id), query.matches(record) { found.append(record) }
            }
            return found
        }
        return try await monitor.matching(try filter.query(), limit: options.bulkLimit)
    }

    /// `POST /api/messages/retry`: every matching failed message retried (others skipped).
    func retryAll(_ request: inout Request) async throws -> Response {
        let records = try await targets(try await request.decodeJSON(MessageFilter.self, ifEmpty: MessageFilter()))
        var answer = BulkAnswer(matched: records.count)
        for record in records {
            guard record.status == .failed, record.rowId != nil else { answer.skipped += 1; continue }
            switch try await retry(record) {
            case .handled: answer.done += 1
            case .failedAgain: answer.failedAgain += 1
            case .held, .missing: answer.skipped += 1
            }
        }
        return try Responses.json(answer)
    }

    /// `POST /api/messages/cancel`: every matching waiting message cancelled, running ones asked to stop.
    func cancelAll(_ request: inout Request) async throws -> Response {
        let records = try await targets(try await request.decodeJSON(MessageFilter.self, ifEmpty: MessageFilter()))
        var answer = BulkAnswer(matched: records.count)
        for record in records {
            guard let store = monitor.store(of: record) else { answer.skipped += 1; continue }
            switch try await store.cancel(id: record.id) {
            case .cancelled: answer.done += 1
            case .cancelling: answer.pending += 1
            case .alreadyFinished, .missing: answer.skipped += 1
            }
        }
        return try Responses.json(answer)
    }

    /// `DELETE /api/messages?…`: the records of matching finished messages deleted; a failed one is
    /// removed from its failure transport first. Waiting and running messages are skipped (cancel them).
    func delete(_ request: Request) async throws -> Response {
        let (_, parsed) = try Self.query(from: request)
        var filter = parsed
        filter.ids = request.query("ids").map { $0.split(separator: ",").map(String.init) }
        filter.all = try request.flag("all") ?? false
        let records = try await targets(filter)
        var answer = BulkAnswer(matched: records.count)
        for record in records {
            guard record.status.isFinished, let store = monitor.store(of: record) else { answer.skipped += 1; continue }
            if record.status == .failed, let row = record.rowId, let parked = kernel.transports[record.transport] as? any ListableReceiver {
                if case .held = try await parked.remove(id: row) { answer.skipped += 1; continue }
            }
            answer.done += try await store.forget(ids: [record.id])
        }
        return try Responses.json(answer)
    }
}
