import Foundation
import Logging
import Messenger

/// Replaces `avis_ese_states` with each beneficiary's state on the day, computed from their latest
/// avis, and mails a reminder to each beneficiary whose avis enters the expiry window, once per avis
/// (`avis_ese_reminders` remembers it). States, reminders and the reminder mails are written in one
/// transaction: when the queue lives in the application's database a reminder is recorded if and only
/// if its mail is queued.
struct RecomputeAvisEseHandler: DailyJobHandler {
    typealias HandledMessage = RecomputeAvisEse
    typealias Result = AvisEseSummary
    let database: SharedAppDatabase
    let environment: AppEnvironment

    func run(on day: String, in database: AppDatabase, context: HandlerContext) async throws -> AvisEseSummary {
        let window = try Self.window(environment)
        let date = try Date("\(day)T00:00:00Z", strategy: .iso8601)
        let soon = AppCalendar.day(date.addingTimeInterval(Double(window) * 86_400))
        let summary = try await database.transaction {
            try await database.lock("app recompute avis ese")
            try await database.query("DELETE FROM avis_ese_states")
            // The latest avis of each beneficiary: the one asked for last.
            try await database.query("""
                INSERT INTO avis_ese_states (student_id, avis_id, state, valid_until, computed_on)
                SELECT a.student_id, a.id,
                    CASE WHEN a.issued_on IS NULL OR a.issued_on > $1 THEN 'pending'
                         WHEN a.valid_until < $1 THEN 'expired'
                         WHEN a.valid_until <= $2 THEN 'expiring'
                         ELSE 'valid' END,
                    a.valid_until, CAST($1 AS TEXT)
                FROM avis_ese a
                WHERE NOT EXISTS (SELECT 1 FROM avis_ese b WHERE b.student_id = a.student_id
                                  AND (b.requested_on > a.requested_on OR (b.requested_on = a.requested_on AND b.id > a.id)))
                """, [day, soon])
            var summary = AvisEseSummary()
            for row in try await database.query("SELECT state, count(*) FROM avis_ese_states GROUP BY state") {
                let count = Int(row[1] ?? "") ?? 0
                switch AvisEseState(rawValue: row[0] ?? "") {
                case .pending: summary.pending = count
                case .valid: summary.valid = count
                case .expiring: summary.expiring = count
                case .expired: summary.expired = count
                case nil: break
                }
            }
            // One reminder per avis: the row is taken first, the mail queued in the same transaction.
            let due = try await database.query("""
                SELECT s.avis_id, st.email, st.name, s.valid_until FROM avis_ese_states s JOIN students st ON st.id = s.student_id
                WHERE s.state = 'expiring' AND NOT EXISTS (SELECT 1 FROM avis_ese_reminders r WHERE r.avis_id = s.avis_id)
                ORDER BY s.avis_id
                """)
            for row in due {
                let taken = try await database.query(
                    "INSERT INTO avis_ese_reminders (avis_id, sent_on) VALUES ($1, $2) ON CONFLICT (avis_id) DO NOTHING RETURNING avis_id", [row[0], day])
                guard !taken.isEmpty else { continue }
                let (email, name, until) = (row[1] ?? "", row[2] ?? "", row[3] ?? "")
                try await context.bus.dispatch(SendMail(
                    to: [email], subject: "Your avis ESE expires on \(until)",
                    text: """
                        Hello \(name),

                        The student-health service's opinion (avis ESE) on your accommodation file is valid until \(until).
                        Ask the service for a new one before that day so that your accommodation is not interrupted.
                        """
                ))
                summary.reminded += 1
            }
            return summary
        }
        context.logger.notice("Avis ESE recomputed", metadata: [
            "avis.day": "\(day)", "avis.pending": "\(summary.pending)", "avis.valid": "\(summary.valid)",
            "avis.expiring": "\(summary.expiring)", "avis.expired": "\(summary.expired)", "avis.reminded": "\(summary.reminded)",
        ])
        return summary
    }

    /// `AVIS_ESE_EXPIRY_WINDOW_DAYS`: how many days before its end an avis counts as expiring (default 30).
    static func window(_ environment: AppEnvironment) throws -> Int {
        guard let text = try environment.setting("AVIS_ESE_EXPIRY_WINDOW_DAYS") else { return 30 }
        guard let days = Int(text), (0...366).contains(days) else {
            throw UnrecoverableMessageError("AVIS_ESE_EXPIRY_WINDOW_DAYS must be a whole number of days from 0 to 366, got \"\(text)\"")
        }
        return days
    }
}
