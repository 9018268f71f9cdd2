import ArgumentParser
import Foundation
import Messenger
import Scheduler

/// `scheduler:list [SCHEDULE]`: every recurring message, its trigger, next runs and last run.
struct SchedulerListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler:list",
        abstract: "List the recurring messages of the schedules, with their next and last runs.",
        discussion: "Example: app scheduler:list default --date 2026-03-29T00:00:00Z --next 3"
    )

    @Argument(help: "Only this schedule.")
    var schedule: String?

    @Option(help: "Compute next runs from this time (ISO 8601); default now.")
    var date: String?

    @Flag(help: "Include disabled recurring messages and those that will not run again.")
    var all = false

    @Option(help: "How many next runs to show per recurring message.")
    var next = 1

    @Option(help: "Output format: txt or json.")
    var format: OutputFormat = .txt

    @OptionGroup var verbosity: Verbosity

    struct Row: Encodable {
        let schedule: String
        let name: String
        let trigger: String
        let messageType: String
        let message: String
        let nextRuns: [String]
        let lastRun: String?
        let enabled: Bool
    }

    func run() async throws {
        guard (1...100).contains(next) else { throw ValidationError("--next must be from 1 to 100") }
        var from = Date()
        if let date {
            guard let parsed = try? Date(date, strategy: .iso8601) else {
                throw ConsoleError("--date: expected an ISO 8601 time such as 2026-03-28T00:00:00Z, got \"\(date)\"")
            }
            from = parsed
        }
        let logger = verbosity.logger("messenger.scheduler")
        let kernel = try MessengerKernel.boot(try ConsoleContext.current, logger: logger)
        let summaries = try await kernel.recurringMessages(schedule: schedule, from: from, next: next, all: all) { error in
            FileHandle.standardError.write(Data("[WARNING] last runs unknown: \(error)\n".utf8))
        }
        let rows = summaries.map { summary in
            Row(schedule: summary.schedule, name: summary.name, trigger: summary.trigger, messageType: summary.messageType, message: summary.message,
                nextRuns: summary.nextRuns.map { $0.formatted(Self.style(summary.zone)) }, lastRun: summary.lastRun.map { $0.formatted(Self.style(summary.zone)) },
                enabled: summary.enabled)
        }
        let schedules = try kernel.schedules().filter { schedule == nil || $0.name == schedule }
        await kernel.close()
        if format == .json { return try printJSON(rows) }
        if rows.isEmpty {
            if schedules.allSatisfy({ $0.messages.isEmpty }) {
                print(schedules.isEmpty ? "No schedule is declared." : "No recurring message is declared (schedules: \(schedules.map(\.name).joined(separator: ", "))).")
            } else {
                print("No recurring message\(all ? "" : " is enabled with a next run (--all lists every one)").")
            }
            return
        }
        var table = TextTable("Schedule", "Name", "Trigger", "Message", "Next run", "Last run", "Enabled")
        for row in rows {
            table.add(row.schedule, row.name, row.trigger, "\(row.messageType) \(row.message)", row.nextRuns.joined(separator: ", "), row.lastRun ?? "never", row.enabled ? "yes" : "no")
        }
        print(table.render())
    }

    static func style(_ zone: TimeZone) -> Date.ISO8601FormatStyle {
        Date.ISO8601FormatStyle(timeZoneSeparator: .colon, timeZone: zone)
    }
}
