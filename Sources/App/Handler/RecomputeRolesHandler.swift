import Foundation
import Logging
import Messenger

/// Replaces `user_roles` with the roles of the assignments valid on the day, in one transaction.
struct RecomputeRolesHandler: DailyJobHandler {
    typealias HandledMessage = RecomputeRoles
    typealias Result = Int
    let database: SharedAppDatabase

    /// Returns how many (user, role) pairs hold.
    func run(on day: String, in database: AppDatabase, context: HandlerContext) async throws -> Int {
        let count = try await database.transaction {
            try await database.lock("app recompute roles")
            try await database.query("DELETE FROM user_roles")
            try await database.query("""
                INSERT INTO user_roles (user_id, role, computed_on)
                SELECT DISTINCT user_id, role, CAST($1 AS TEXT) FROM role_assignments
                WHERE starts_on <= $1 AND (ends_on IS NULL OR ends_on >= $1)
                """, [day])
            return Int(try await database.query("SELECT count(*) FROM user_roles")[0][0] ?? "0") ?? 0
        }
        context.logger.notice("Roles recomputed", metadata: ["roles.day": "\(day)", "roles.count": "\(count)"])
        return count
    }
}

/// Days as the application stores them: `yyyy-MM-dd` in UTC.
public enum AppCalendar {
    public static func today(_ now: Date = Date()) -> String { day(now) }

    /// Whether `text` is a real day written `yyyy-MM-dd`.
    public static func isDay(_ text: String) -> Bool {
        guard text.count == 10, let date = try? Date("\(text)T00:00:00Z", strategy: .iso8601) else { return false }
        return day(date) == text
    }

    public static func day(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!).year().month().day())
    }
}
