import ArgumentParser

/// `demo:seed`: loads the demonstration data set into an empty database.
struct DemoSeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo:seed",
        abstract: "Load a demonstration data set (staff, students, campaigns, requests) unless there is data already."
    )

    func run() async throws {
        let database = try AppEnvironment().openDatabase()
        _ = try await AppMigrator.migrate(database)
        let loaded = try await DemoData.seed(database)
        await database.close()
        print(loaded ? "[OK] Demonstration data loaded." : "[OK] The database has data already: nothing loaded.")
    }
}

/// The application's own console commands.
public enum AppCommands {
    public static let all: [any ParsableCommand.Type] = [DatabaseMigrateCommand.self, DemoSeedCommand.self, PurgeOrphanFilesCommand.self, StudentCreateCommand.self]
}
