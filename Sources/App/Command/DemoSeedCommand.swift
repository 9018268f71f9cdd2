import ArgumentParser
import Foundation
import Logging
import Messenger
import MessengerConsole

/// `demo:seed`: loads the demonstration data set into an empty database, puts a few files in the
/// upload folder (one of them an old orphan), and queues each planned job once, so that a first
/// worker shows them at work: roles recomputed, requests archived and mailed, the orphan purged,
/// reminders mailed, avis ESE states computed (and an expiring one reminded), two PDF documents
/// generated under var/documents, and a demonstration technical error mailed as a digest.
struct DemoSeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo:seed",
        abstract: "Load a demonstration data set and queue the planned jobs once, unless there is data already."
    )

    func run() async throws {
        let environment = AppEnvironment()
        let database = try environment.openDatabase()
        _ = try await AppMigrator.migrate(database)
        let loaded = try await DemoData.seed(database)
        await database.close()
        guard loaded else { return print("[OK] The database has data already: nothing loaded.") }
        print("[OK] Demonstration data loaded.")
        let uploads = try OrphanFiles.folder(environment)
        for (path, age) in [("requests/1/transcript.pdf", 40), ("requests/2/id-card.png", 38), ("requests/7/abandoned-draft.pdf", 3)] {
            let file = URL(fileURLWithPath: uploads).appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("demo \(path)\n".utf8).write(to: file)
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-Double(age) * 86_400)], ofItemAtPath: file.path)
        }
        let kernel = try MessengerKernel.booted(logger: Logger(label: "app.demo"))
        let jobs: [any Message] = [
            RecomputeRoles(), ArchiveObsoleteRequests(), PurgeOrphanFiles(), SendReminders(), RecomputeAvisEse(),
            GenerateDocument(kind: .accommodationCertificate, subject: 1), GenerateDocument(kind: .campaignSummary, subject: 2),
            ReportTechnicalError(source: "demo:seed", message: "A demonstration error: the technical contacts get a digest of it"),
        ]
        for job in jobs { try await kernel.bus.dispatch(Envelope(job)) }
        await kernel.close()
        print("[OK] Queued once, for a first worker to show them at work: \(jobs.map { type(of: $0).messageName }.joined(separator: ", ")).")
    }
}

/// The application's own console commands.
public enum AppCommands {
    public static let all: [any ParsableCommand.Type] = [DatabaseMigrateCommand.self, DemoSeedCommand.self, PurgeOrphanFilesCommand.self, StudentCreateCommand.self]
}
