import ArgumentParser
import Foundation
import Messenger

/// `messenger:status ID`: one message's status record; `--watch` follows it to its end.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messenger:status", abstract: "Show a message's status: attempts, times, worker, progress, result or error.",
        discussion: "With --watch, prints each change until the message ends; exits 0 when it completed, 1 when it failed or was cancelled."
    )

    @Argument(help: "The message's id (what dispatch printed).")
    var id: String

    @Flag(help: "Follow the message until it ends.")
    var watch = false

    @Option(help: "Output format: txt or json.")
    var format: OutputFormat = .txt

    @OptionGroup var verbosity: Verbosity

    func run() async throws {
        let kernel = try MessengerKernel.boot(try ConsoleContext.current, logger: verbosity.logger("messenger.console"))
        var (record, store) = try await kernel.record(id: id)
        guard watch else { return try show(record, full: true) }
        var last: MessageRecord?
        while true {
            if record != last { try show(record, full: last == nil) }
            last = record
            if record.status.isFinished { break }
            try await Task.sleep(for: .milliseconds(250))
            guard let next = try await store.record(id: id) else { throw MessengerError(.transportFailure, "message \(id) was pruned while watched") }
            record = next
        }
        if record.status != .completed { throw ExitCode(1) }
    }

    private func show(_ record: MessageRecord, full: Bool) throws {
        if format == .json {
            if watch { return try printJSONLine(record) }
            return try printJSON(record)
        }
        guard full else { return print(RecordFormatting.line(record)) }
        print(RecordFormatting.table(record).render())
    }
}
