import Foundation
import MessengerSQLite

/// Applies the schema's migrations that a database lacks, each in its own transaction with its record
/// in `app_migrations`; running it again changes nothing. Two processes migrating at once are
/// serialized (SQLite's write lock, a PostgreSQL advisory lock).
public enum AppMigrator {
    /// Returns the migrations applied now.
    @discardableResult
    public static func migrate(_ database: AppDatabase) async throws -> [AppSchema.Migration] {
        try await createLedger(database)
        var applied: [AppSchema.Migration] = []
        for migration in AppSchema.migrations {
            let ran = try await waitingForOtherMigrators { try await database.transaction {
                try await database.lock("app migrations")
                let done = try await database.query("SELECT 1 FROM app_migrations WHERE version = $1", [String(migration.version)])
                guard done.isEmpty else { return false }
                try await database.execute(migration.sql(postgres: database.isPostgres))
                try await database.query("INSERT INTO app_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                                         [String(migration.version), migration.name, Date().formatted(.iso8601)])
                return true
            } }
            if ran { applied.append(migration) }
        }
        return applied
    }

    /// The versions a database has.
    public static func appliedVersions(_ database: AppDatabase) async throws -> [Int] {
        try await createLedger(database)
        return try await database.query("SELECT version FROM app_migrations ORDER BY version").compactMap { $0[0].flatMap { Int($0) } }
    }

    /// `app_migrations`, created under the lock (two PostgreSQL sessions creating one table at once
    /// collide otherwise).
    private static func createLedger(_ database: AppDatabase) async throws {
        try await waitingForOtherMigrators { try await database.transaction {
            try await database.lock("app migrations")
            try await database.execute("CREATE TABLE IF NOT EXISTS app_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        } }
    }

    /// Runs `body` again while another process holds the SQLite file past its busy timeout (another
    /// migrator on a loaded machine), for up to a minute: a deployment that starts two at once waits.
    private static func waitingForOtherMigrators<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            do {
                return try await body()
            } catch let error as SQLiteError where error.isBusy && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}
