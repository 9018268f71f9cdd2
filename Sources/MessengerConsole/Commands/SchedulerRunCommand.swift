import ArgumentParser
import Foundation
import Logging
import Messenger
import Scheduler

/// `scheduler:run NAME`: dispatches one recurring message now, outside its schedule.
struct SchedulerRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler:run",
        abstract: "Dispatch one recurring message now, through the bus (routing applies).",
        discussion: "NAME is a task name, or SCHEDULE/NAME when several schedules have one of that name. The run is not an occurrence: the schedule's own runs are unchanged."
    )

    @Argument(help: "The recurring message's name (see scheduler:list).")
    var name: String

    @Option(help: "Output format: txt or json.")
    var format: OutputFormat = .txt

    @OptionGroup var verbosity: Verbosity

    struct Result: Encodable {
        let schedule: String
        let name: String
        let type: String
        let sentTo: [String]
        let ids: [String]
        let handledBy: [String]
    }

    func run() async throws {
        let logger = verbosity.logger("messenger.scheduler")
        let kernel = try MessengerKernel.boot(try ConsoleContext.current, logger: logger)
        let run = try await kernel.runRecurringMessage(name)
        await kernel.close()
        let envelope = run.envelope
        let result = Result(
            schedule: run.schedule, name: run.name, type: envelope.messageName, sentTo: envelope.all(SentStamp.self).map(\.transportName),
            ids: envelope.all(TransportMessageIdStamp.self).map(\.id), handledBy: envelope.all(HandledStamp.self).map(\.handlerName)
        )
        if format == .json { return try printJSON(result) }
        if result.sentTo.isEmpty {
            print("[OK] \(result.schedule)/\(result.name) (\(result.type)) handled now by \(result.handledBy.joined(separator: ", ")).")
        } else {
            print("[OK] \(result.schedule)/\(result.name) (\(result.type)) sent to \(result.sentTo.joined(separator: ", ")) (id \(result.ids.joined(separator: ", "))).")
        }
    }
}
