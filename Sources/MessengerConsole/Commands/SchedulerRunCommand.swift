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
        let schedules = try kernel.schedules()
        let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
        let candidates = schedules.filter { parts.count == 1 || $0.name == parts[0] }.compactMap { schedule in
            schedule[task: parts.last!].map { (schedule, $0) }
        }
        guard let (schedule, task) = candidates.first else {
            let known = schedules.flatMap { schedule in schedule.messages.map { "\(schedule.name)/\($0.name)" } }
            throw ConsoleError("no recurring message \"\(name)\"; recurring messages: \(known.isEmpty ? "none" : known.joined(separator: ", "))")
        }
        guard candidates.count == 1 else {
            throw ConsoleError("\"\(name)\" is in several schedules (\(candidates.map(\.0.name).joined(separator: ", "))); write SCHEDULE/\(name)")
        }
        let envelope = try await kernel.bus.dispatch(Envelope(task.message, stamps: [ScheduledStamp(schedule: schedule.name, task: task.name, occurrence: nil)]))
        await kernel.close()
        let result = Result(
            schedule: schedule.name, name: task.name, type: type(of: task.message).messageName, sentTo: envelope.all(SentStamp.self).map(\.transportName),
            ids: envelope.all(TransportMessageIdStamp.self).map(\.id), handledBy: envelope.all(HandledStamp.self).map(\.handlerName)
        )
        logger.notice("Recurring message run by hand", metadata: [
            "schedule": "\(schedule.name)", "task": "\(task.name)", "message.id": "\(result.ids.joined(separator: ","))",
        ])
        if format == .json { return try printJSON(result) }
        if result.sentTo.isEmpty {
            print("[OK] \(schedule.name)/\(task.name) (\(result.type)) handled now by \(result.handledBy.joined(separator: ", ")).")
        } else {
            print("[OK] \(schedule.name)/\(task.name) (\(result.type)) sent to \(result.sentTo.joined(separator: ", ")) (id \(result.ids.joined(separator: ", "))).")
        }
    }
}
