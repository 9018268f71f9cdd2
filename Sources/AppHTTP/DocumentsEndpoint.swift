import App
import Foundation
import Messenger
import MessengerConsole
import HTTPTypes
import Hummingbird
import MessengerHTTP

/// `POST /api/documents` queues a document's generation (idempotent per kind, subject and
/// version); `GET /api/documents/{id}` answers the PDF once generated, 202 with its status (and
/// `Retry-After`) while it waits or runs, 409 when its generation failed.
struct DocumentsEndpoint: Sendable {
    let pool: AppDatabasePool
    let kernel: MessengerKernel
    let environment: AppEnvironment

    struct Body: Decodable {
        let kind: String
        let subject: Int
        let version: Int?
    }

    struct Answer: Encodable {
        let id: Int
        let kind: String
        let subject: Int
        let version: Int
        let status: String
        let messageId: String?
        let statusUrl: String?
        let documentUrl: String
    }

    func request(_ request: inout APIRequest) async throws -> Response {
        let body = try await request.decode(Body.self)
        guard let kind = DocumentKind(rawValue: body.kind) else {
            throw HTTPProblem(.unprocessableContent, "kind must be one of \(DocumentKind.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(body.kind)\"",
                              fields: ["field": .string("kind")])
        }
        let version = body.version ?? 1
        guard (1...10_000).contains(version) else {
            throw HTTPProblem(.unprocessableContent, "version must be from 1 to 10000, got \(version)", fields: ["field": .string("version")])
        }
        guard body.subject > 0 else { throw HTTPProblem(.unprocessableContent, "subject must be a positive id", fields: ["field": .string("subject")]) }
        let subject = body.subject
        // The row first (one per kind, subject and version), then the message: a sync route renders in
        // this request, with its own connection, once the row is committed.
        let (id, generated, knownMessageId) = try await pool.withConnection { database in
            try await database.transaction {
                guard !(try await database.query("SELECT 1 FROM \(kind.subjectTable) WHERE id = $1", [String(subject)]).isEmpty) else {
                    throw HTTPProblem(.unprocessableContent, kind.missingSubject(subject), fields: ["field": .string("subject")])
                }
                try await database.query("""
                    INSERT INTO documents (kind, subject_id, version, state, requested_at) VALUES ($1, $2, $3, 'queued', $4)
                    ON CONFLICT (kind, subject_id, version) DO NOTHING
                    """, [kind.rawValue, String(subject), String(version), Date().formatted(.iso8601)])
                let row = try await database.query("SELECT id, state, message_id FROM documents WHERE kind = $1 AND subject_id = $2 AND version = $3",
                                                   [kind.rawValue, String(subject), String(version)])[0]
                return (Int(row[0] ?? "") ?? 0, row[1] == "generated", row[2] ?? nil)
            }
        }
        var status = "generated"
        var messageId = knownMessageId
        if !generated {
            // Queued (again, when an earlier generation failed; deduplicated while one waits or runs).
            let sent = try await DispatchAnswer.dispatch(GenerateDocument(kind: kind, subject: subject, version: version), on: kernel.bus, request)
            messageId = sent.id
            switch sent.status {
            case "completed": status = "generated"
            case "already_running": status = "running"
            case "failed": status = "failed"
            default: status = "queued"
            }
            try await pool.withConnection { database in
                _ = try await database.query("UPDATE documents SET message_id = $2 WHERE id = $1 AND state = 'queued'", [String(id), sent.id])
            }
        }
        let answer = Answer(id: id, kind: kind.rawValue, subject: subject, version: version, status: status, messageId: messageId,
                            statusUrl: messageId.map { request.statusURL(messageId: $0) }, documentUrl: request.url("/api/documents/\(id)"))
        return try APIResponse.json(answer, status: status == "queued" || status == "running" ? .accepted : .ok)
    }

    /// A document that is not generated yet, as `GET` answers it.
    struct Pending: Encodable {
        let id: Int
        let status: String
        let message: String
        let statusUrl: String?
    }

    func show(_ request: APIRequest) async throws -> Response {
        let text = try request.parameter("id")
        guard let id = Int(text), id > 0 else { throw HTTPProblem(.notFound, "no document \(text): ids are positive whole numbers") }
        guard let row = try await pool.withConnection({ database in
            try await database.query("SELECT kind, subject_id, version, state, path, checksum, message_id FROM documents WHERE id = $1", [String(id)]).first
        }) else { throw HTTPProblem(.notFound, "no document \(id)") }
        let messageId = row[6] ?? nil
        var fields: [String: JSONValue] = ["id": .number(Double(id))]
        if let messageId { fields["status_url"] = .string(request.statusURL(messageId: messageId)) }
        guard row[3] == "generated", let path = row[4] ?? nil, let checksum = row[5] ?? nil else {
            var status: MessageStatus?
            if let messageId { status = try await kernel.findRecord(id: messageId)?.0.status }
            let named = status?.rawValue ?? "queued"
            if status == .failed || status == .cancelled {
                fields["status"] = .string(named)
                throw HTTPProblem(.conflict, "document \(id) could not be generated (\(named)); ask for a new version", fields: fields)
            }
            // It exists and is on its way: accepted, not found later.
            let pending = Pending(id: id, status: named, message: "document \(id) is not generated yet (\(named))",
                                  statusUrl: messageId.map { request.statusURL(messageId: $0) })
            var response = try APIResponse.json(pending, status: .accepted)
            response.headers[.retryAfter] = "1"
            return response
        }
        guard let data = try? Data(contentsOf: try DocumentFolder(environment: environment).url(path)) else {
            fields["status"] = .string("missing")
            throw HTTPProblem(.notFound, "the file of document \(id) is missing; ask for a new version", fields: fields)
        }
        let filename = "\(row[0] ?? "document")-\(row[1] ?? "")-v\(row[2] ?? "1").pdf"
        return APIResponse.file(data, contentType: "application/pdf", filename: filename, etag: checksum)
    }
}
