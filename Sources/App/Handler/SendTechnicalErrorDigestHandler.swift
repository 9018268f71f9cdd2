import Foundation
import Logging
import Messenger

/// Mails the technical contacts a fingerprint's errors since its previous digest, with their count;
/// never two digests of one fingerprint within `TECHNICAL_ERROR_DIGEST_INTERVAL` (one that comes too
/// early waits for its turn), and never one digest twice (the row is taken by a conditional update).
struct SendTechnicalErrorDigestHandler: MessageHandler {
    let database: SharedAppDatabase
    let environment: AppEnvironment
    var now: @Sendable () -> Date = Date.init

    /// Returns how many occurrences the mail reported (0: none mailed).
    func handle(_ digest: SendTechnicalErrorDigest, context: HandlerContext) async throws -> Int {
        try await database.withConnection { database in try await handle(digest, context: context, database: database) }
    }

    private func handle(_ digest: SendTechnicalErrorDigest, context: HandlerContext, database: AppDatabase) async throws -> Int {
        let settings = try TechnicalErrorSettings(environment: environment)
        let current = now()
        guard let row = try await database.query("""
            SELECT source, message, first_seen, last_seen, occurrences, mailed_occurrences, mailed_at FROM technical_errors WHERE fingerprint = $1
            """, [digest.fingerprint]).first else { return 0 }
        let (occurrences, mailed) = (Int(row[4] ?? "") ?? 0, Int(row[5] ?? "") ?? 0)
        guard occurrences > mailed else { return 0 }
        if let mailedAt = row[6].flatMap({ try? Date($0, strategy: .iso8601) }), mailedAt.addingTimeInterval(settings.interval) > current {
            let wait = Int((mailedAt.addingTimeInterval(settings.interval).timeIntervalSince(current) * 1000).rounded(.up))
            _ = try await context.dispatchAfterCurrentBus(digest, stamps: [DelayStamp(milliseconds: wait)])
            return 0
        }
        guard !settings.contacts.isEmpty else {
            context.logger.warning("Technical error \(digest.fingerprint) not mailed: TECHNICAL_CONTACTS is not set")
            return 0
        }
        // Taken only if no other digest took these occurrences meanwhile.
        let taken = try await database.query("""
            UPDATE technical_errors SET mailed_occurrences = $2, mailed_at = $3 WHERE fingerprint = $1 AND mailed_occurrences = $4 RETURNING fingerprint
            """, [digest.fingerprint, String(occurrences), current.formatted(.iso8601), String(mailed)])
        guard !taken.isEmpty else { return 0 }
        let count = occurrences - mailed
        let (source, message) = (row[0] ?? "", row[1] ?? "")
        let text = """
            \(count) occurrence(s) of a technical error since \(mailed == 0 ? "it was first seen" : "the previous digest").

            Where: \(source)
            What: \(message)
            Fingerprint: \(digest.fingerprint)
            First seen: \(row[2] ?? "?")
            Last seen: \(row[3] ?? "?")
            Occurrences in all: \(occurrences)
            """
        let subject = "[technical error] ×\(count) \(source): \(message.prefix(80))"
        _ = try await context.dispatchAfterCurrentBus(SendMail(to: settings.contacts, subject: subject, text: text))
        return count
    }
}
