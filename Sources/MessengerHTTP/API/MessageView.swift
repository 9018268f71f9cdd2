import Foundation
import HTTPTypes
import Messenger

/// A message's record as the API returns it (snake_case keys).
struct MessageView: Encodable {
    struct Failure: Encodable {
        let type: String?
        let message: String?
        let handler: String?
    }

    let id: String
    let type: String
    let transport: String
    let queue: String
    let status: String
    let attempts: Int
    let createdAt: Date
    let availableAt: Date
    let startedAt: Date?
    let finishedAt: Date?
    let workerId: String?
    let progress: Double?
    let progressNote: String?
    /// Why a due message waits: its ordered group, a full concurrency limit, a spent rate.
    let waitingOn: String?
    /// The handlers' result, as the JSON they returned.
    let result: JSONValue?
    let error: Failure?
    let origin: String?
    let cancelRequested: Bool
    /// The message body as stored (JSON text).
    let body: String?
    let statusUrl: String

    init(_ record: MessageRecord, basePath: String) {
        id = record.id
        type = record.type
        transport = record.transport
        queue = record.queue
        status = record.status.rawValue
        attempts = record.attempts
        createdAt = record.createdAt
        availableAt = record.availableAt
        startedAt = record.startedAt
        finishedAt = record.finishedAt
        workerId = record.workerId
        progress = record.progress
        progressNote = record.progressNote
        waitingOn = record.waitingOn
        result = record.result.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) } ?? record.result.map(JSONValue.string)
        error = record.errorType == nil && record.errorMessage == nil ? nil
            : Failure(type: record.errorType, message: record.errorMessage, handler: record.errorHandler)
        origin = record.origin
        cancelRequested = record.cancelRequested
        body = record.body
        statusUrl = Self.statusURL(record.id, basePath: basePath)
    }

    static func statusURL(_ id: String, basePath: String) -> String {
        "\(basePath)/api/messages/\(id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? id)"
    }
}

/// A filter of records, from query parameters or a bulk action's body.
struct MessageFilter: Codable {
    var status: String?
    var type: String?
    var queue: String?
    var q: String?
    /// Exactly these messages (with the other fields still applied).
    var ids: [String]?
    /// A bulk action on no filter at all must say so.
    var all: Bool?

    var isEmpty: Bool { status == nil && type == nil && queue == nil && q == nil && ids == nil }

    enum CodingKeys: String, CodingKey { case status, type, queue, q, ids, all }

    init(status: String? = nil, type: String? = nil, queue: String? = nil, q: String? = nil, ids: [String]? = nil, all: Bool? = nil) {
        (self.status, self.type, self.queue, self.q, self.ids, self.all) = (status, type, queue, q, ids, all)
    }

    /// An empty string is no filter, as in a query string; an empty `ids` list matches nothing.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func text(_ key: CodingKeys) throws -> String? { try container.decodeIfPresent(String.self, forKey: key).flatMap { $0.isEmpty ? nil : $0 } }
        self.init(status: try text(.status), type: try text(.type), queue: try text(.queue), q: try text(.q),
                  ids: try container.decodeIfPresent([String].self, forKey: .ids), all: try container.decodeIfPresent(Bool.self, forKey: .all))
    }

    /// The filter as a bulk action's target: itself, or every message when it filters nothing.
    var bulkTarget: MessageFilter { isEmpty ? MessageFilter(all: true) : self }

    /// The filter as query parameters (`DELETE /api/messages`).
    var queryItems: [URLQueryItem] {
        [("status", status), ("type", type), ("queue", queue), ("q", q), ("all", all == true ? "true" : nil)]
            .compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
    }

    func query(limit: Int = 50) throws -> MessageRecordQuery {
        var status: MessageStatus?
        if let text = self.status {
            guard let parsed = MessageStatus(rawValue: text) else {
                throw HTTPProblem(.badRequest, "unknown status \"\(text)\"; statuses: \(MessageStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = parsed
        }
        return MessageRecordQuery(status: status, type: type, queue: queue, search: q, limit: limit)
    }
}
