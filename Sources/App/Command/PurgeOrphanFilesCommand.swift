import ArgumentParser
import Foundation
import Logging
import Messenger
import MessengerConsole

/// `files:purge-orphans`: lists (`--dry-run`) or has a worker delete the orphan uploaded files.
struct PurgeOrphanFilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "files:purge-orphans",
        abstract: "Delete the uploaded files no row references (dispatches App.PurgeOrphanFiles); --dry-run lists them.",
        discussion: "The schedule runs it weekly; this runs it now, through the bus (routing applies)."
    )

    @Flag(help: "Only list the files that would be deleted.")
    var dryRun = false

    @Option(help: "Leave files changed less than this many seconds ago.")
    var grace = PurgeOrphanFiles.defaultGraceSeconds

    func run() async throws {
        guard dryRun else {
            let kernel = try MessengerKernel.booted(logger: Logger(label: "app.files"))
            let sent = try await kernel.bus.dispatch(PurgeOrphanFiles(graceSeconds: grace))
            await kernel.close()
            let transports = sent.all(SentStamp.self).map(\.transportName)
            print(transports.isEmpty ? "[OK] Orphan files purged now." : "[OK] App.PurgeOrphanFiles sent to \(transports.joined(separator: ", ")).")
            return
        }
        let environment = AppEnvironment()
        let database = try environment.openDatabase()
        let folder = try OrphanFiles.folder(environment)
        let orphans = try await OrphanFiles.find(in: folder, database: database, olderThan: Date().addingTimeInterval(-Double(grace)))
        await database.close()
        for path in orphans { print(path) }
        print("[OK] \(orphans.count) orphan file(s) in \(folder) older than \(grace) s (dry run: nothing deleted).")
    }
}
