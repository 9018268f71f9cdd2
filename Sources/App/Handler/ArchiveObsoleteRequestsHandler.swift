import Foundation
import Logging
import Messenger

/// Refuses the draft requests of campaigns archived before the day, in one transaction, and tells each
/// student by mail. The mails are dispatched after the current bus: if the update fails, none is sent.
struct ArchiveObsoleteRequestsHandler: DailyJobHandler {
    typealias HandledMessage = ArchiveObsoleteRequests
    typealias Result = Int
    let database: SharedAppDatabase

    /// Returns how many requests were refused.
    func run(on day: String, in database: AppDatabase, context: HandlerContext) async throws -> Int {
        let refused = try await database.transaction {
            try await database.lock("app archive obsolete requests")
            let rows = try await database.query("""
                SELECT r.id, s.email, s.name, c.name FROM requests r
                JOIN students s ON s.id = r.student_id JOIN campaigns c ON c.id = r.campaign_id
                WHERE r.state = 'draft' AND c.archive_on IS NOT NULL AND c.archive_on < $1 ORDER BY r.id
                """, [day])
            for row in rows {
                try await database.query("UPDATE requests SET state = 'refused', updated_at = $2 WHERE id = $1 AND state = 'draft'", [row[0], day])
            }
            return rows
        }
        for row in refused {
            let (email, name, campaign) = (row[1] ?? "", row[2] ?? "", row[3] ?? "")
            _ = try await context.dispatchAfterCurrentBus(SendMail(
                to: [email], subject: "Your draft request in \(campaign) was closed",
                template: "request-archived", context: ["name": name, "campaign": campaign]
            ))
        }
        context.logger.notice("Obsolete requests archived", metadata: ["archive.day": "\(day)", "archive.count": "\(refused.count)"])
        return refused.count
    }
}
