import Foundation
import Logging
import Messenger

/// Deletes the orphan files of the upload folder; returns how many.
struct PurgeOrphanFilesHandler: MessageHandler {
    let database: SharedAppDatabase
    let environment: AppEnvironment

    func handle(_ message: PurgeOrphanFiles, context: HandlerContext) async throws -> Int {
        if let grace = message.graceSeconds, grace < 0 {
            throw UnrecoverableMessageError("PurgeOrphanFiles: graceSeconds must not be negative, got \(grace)")
        }
        let folder = try OrphanFiles.folder(environment)
        let cutoff = Date().addingTimeInterval(-Double(message.graceSeconds ?? PurgeOrphanFiles.defaultGraceSeconds))
        let orphans = try await database.withConnection { database in try await OrphanFiles.find(in: folder, database: database, olderThan: cutoff) }
        for path in orphans {
            try FileManager.default.removeItem(atPath: URL(fileURLWithPath: folder).appendingPathComponent(path).path)
        }
        context.logger.notice("Orphan files purged", metadata: ["files.folder": "\(folder)", "files.deleted": "\(orphans.count)"])
        return orphans.count
    }
}
