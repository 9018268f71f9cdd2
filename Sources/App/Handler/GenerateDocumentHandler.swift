import Foundation
import Logging
import Messenger

/// What a generated document is: its row in `documents`, its file and checksum.
public struct GeneratedDocument: Sendable, Codable, Equatable {
    public var id: Int
    public var path: String
    public var checksum: String
    public var pages: Int
    public var bytes: Int
    /// False when the version existed already, unchanged: nothing was rendered.
    public var rendered: Bool
}

/// Renders a document with libharu and records it. A version already generated whose file is still
/// there with its checksum is returned as is; otherwise the subject's data is read, laid out,
/// rendered page by page (progress reported per page; cancellable between pages) and written.
struct GenerateDocumentHandler: MessageHandler {
    let database: SharedAppDatabase
    let environment: AppEnvironment
    var now: @Sendable () -> Date = Date.init

    func handle(_ message: GenerateDocument, context: HandlerContext) async throws -> GeneratedDocument {
        try await database.withConnection { database in try await handle(message, context: context, database: database) }
    }

    private func handle(_ message: GenerateDocument, context: HandlerContext, database: AppDatabase) async throws -> GeneratedDocument {
        guard message.subject > 0, (1...10_000).contains(message.version) else {
            throw UnrecoverableMessageError("\(GenerateDocument.messageName): subject must be a positive id and version from 1 to 10000")
        }
        let folder = try DocumentFolder(environment: environment)
        let (kind, subject, version) = (message.kind.rawValue, String(message.subject), String(message.version))
        let current = now()
        try await database.query("""
            INSERT INTO documents (kind, subject_id, version, state, message_id, requested_at) VALUES ($1, $2, $3, 'queued', $4, $5)
            ON CONFLICT (kind, subject_id, version) DO NOTHING
            """, [kind, subject, version, context.messageId, current.formatted(.iso8601)])
        let row = try await database.query("SELECT id, state, path, checksum, pages, bytes FROM documents WHERE kind = $1 AND subject_id = $2 AND version = $3",
                                           [kind, subject, version])[0]
        let id = Int(row[0] ?? "") ?? 0
        if row[1] == "generated", let path = row[2], let checksum = row[3], let data = folder.read(path), DocumentFolder.checksum(data) == checksum {
            return GeneratedDocument(id: id, path: path, checksum: checksum, pages: Int(row[4] ?? "") ?? 0, bytes: data.count, rendered: false)
        }
        let issuer = try environment.setting("UNIVERSITY_NAME") ?? "Université"
        guard let content = try await DocumentSources.content(message.kind, subject: message.subject, in: database, issuer: issuer,
                                                              day: AppCalendar.day(current)) else {
            throw UnrecoverableMessageError(message.kind.missingSubject(message.subject))
        }
        let renderer = try PDFRenderer(title: content.title, author: issuer)
        let pages = DocumentLayout { text, font, size in renderer.width(of: text, font: font, size: size) }.pages(content)
        for (index, page) in pages.enumerated() {
            try Task.checkCancellation()
            try renderer.add(page: page)
            context.progress(Double(index + 1) / Double(pages.count + 1), "page \(index + 1) of \(pages.count)")
        }
        let data = try renderer.data()
        let path = DocumentFolder.relativePath(message.kind, subject: message.subject, version: message.version)
        try folder.write(data, to: path)
        let checksum = DocumentFolder.checksum(data)
        try await database.query("""
            UPDATE documents SET state = 'generated', path = $2, checksum = $3, pages = $4, bytes = $5, generated_at = $6 WHERE id = $1
            """, [String(id), path, checksum, String(pages.count), String(data.count), now().formatted(.iso8601)])
        context.logger.notice("Document generated", metadata: ["document.id": "\(id)", "document.kind": "\(kind)", "document.pages": "\(pages.count)"])
        return GeneratedDocument(id: id, path: path, checksum: checksum, pages: pages.count, bytes: data.count, rendered: true)
    }
}
