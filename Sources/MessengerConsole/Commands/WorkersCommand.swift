import ArgumentParser
import Foundation
import Messenger

/// `messenger:workers`: the worker processes recorded in the transports' databases.
struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messenger:workers", abstract: "List workers: running, stopped, or gone (no heartbeat for 10 s: it died).")

    @Option(help: "Output format: txt or json.")
    var format: OutputFormat = .txt

    @OptionGroup var verbosity: Verbosity

    struct Row: Encodable {
        let worker: WorkerRecord
        let state: String
    }

    func run() async throws {
        let kernel = try MessengerKernel.boot(try ConsoleContext.current, logger: verbosity.logger("messenger.console"))
        var rows: [Row] = []
        let now = Date()
        for registry in kernel.workerRegistries {
            rows += try await registry.workers().map { Row(worker: $0, state: $0.state(at: now)) }
        }
        rows.sort { $0.worker.startedAt > $1.worker.startedAt }
        if format == .json { return try printJSON(rows) }
        if rows.isEmpty { return print("No workers recorded.") }
        var table = TextTable("Id", "Host", "Pid", "Receivers", "State", "Started", "Last beat", "In hand", "Handled", "Failed")
        for row in rows {
            let worker = row.worker
            table.add(String(worker.id.prefix(8)), worker.host, "\(worker.pid)", worker.receivers.joined(separator: ","), row.state,
                      Formatting.date(worker.startedAt), Formatting.age(max(0, now.timeIntervalSince(worker.heartbeatAt))) + " ago",
                      "\(worker.inHand)", "\(worker.handled)", "\(worker.failed)")
        }
        print(table.render())
    }
}
