import Foundation
import Messenger

/// Stores a technical error under its fingerprint (counting repetitions) and makes sure a digest
/// waits for it: a delay after the first report, or an interval after the previous digest.
struct ReportTechnicalErrorHandler: MessageHandler {
    let database: SharedAppDatabase
    let environment: AppEnvironment
    var now: @Sendable () -> Date = Date.init

    /// Returns the fingerprint's occurrences so far.
    func handle(_ report: ReportTechnicalError, context: HandlerContext) async throws -> Int {
        try await database.withConnection { database in try await handle(report, context: context, database: database) }
    }

    private func handle(_ report: ReportTechnicalError, context: HandlerContext, database: AppDatabase) async throws -> Int {
        let settings = try TechnicalErrorSettings(environment: environment)
        let fingerprint = report.effectiveFingerprint
        let current = now()
        let row = try await database.query("""
            INSERT INTO technical_errors (fingerprint, source, message, first_seen, last_seen, occurrences) VALUES ($1, $2, $3, $4, $4, 1)
            ON CONFLICT (fingerprint) DO UPDATE SET occurrences = technical_errors.occurrences + 1, last_seen = excluded.last_seen,
                source = excluded.source, message = excluded.message
            RETURNING occurrences, mailed_at
            """, [fingerprint, String(DSN.redactAddresses(in: report.source).prefix(500)), String(DSN.redactAddresses(in: report.message).prefix(4000)),
                  current.formatted(.iso8601)]).first
        let occurrences = Int(row?[0] ?? "") ?? 1
        let mailedAt = (row?[1] ?? nil).flatMap { try? Date($0, strategy: .iso8601) }
        let due = max(current.addingTimeInterval(settings.delay), mailedAt.map { $0.addingTimeInterval(settings.interval) } ?? .distantPast)
        let delay = Int((due.timeIntervalSince(current) * 1000).rounded(.up))
        _ = try await context.dispatchAfterCurrentBus(SendTechnicalErrorDigest(fingerprint: fingerprint), stamps: [DelayStamp(milliseconds: delay)])
        return occurrences
    }
}
