import ArgumentParser

/// `database:migrate`: brings the application's schema up to date; idempotent.
struct DatabaseMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "database:migrate",
        abstract: "Create or update the application's tables (DATABASE_URL, default the messenger's SQLite file)."
    )

    func run() async throws {
        let database = try AppEnvironment().openDatabase()
        let applied = try await AppMigrator.migrate(database)
        let versions = try await AppMigrator.appliedVersions(database)
        await database.close()
        if applied.isEmpty {
            print("[OK] The schema is up to date (version \(versions.last ?? 0)).")
        } else {
            for migration in applied { print("[OK] Applied migration \(migration.version): \(migration.name).") }
        }
    }
}
