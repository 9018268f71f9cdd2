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
        var schedules = try kernel.schedules()
        if let schedule { schedules = [try kernel.schedule(named: schedule, in: schedules)] }
        let lastRuns = await lastRuns(of: schedules, kernel: kernel)
        var rows: [Row] = []
        for schedule in schedules {
            for task in schedule.messages {
                let trigger = try task.makeTrigger(schedule: schedule.name)
                let runs = Self.nextRuns(of: trigger, after: from, count: next)
                guard all || (task.enabled && !runs.isEmpty) else { continue }
                let zone = task.zone
                rows.append(Row(
                    schedule: schedule.name, name: task.name, trigger: Self.describe(task, trigger), messageType: type(of: task.message).messageName,
                    message: task.summary, nextRuns: runs.map { $0.formatted(Self.style(zone)) },
                    lastRun: lastRuns[schedule.name]?[task.name].map { $0.formatted(Self.style(zone)) }, enabled: task.enabled
                ))
            }
        }
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

    /// The last emitted occurrences; an unreachable database is a warning, not a failure of the listing.
    private func lastRuns(of schedules: [Schedule], kernel: MessengerKernel) async -> [String: [String: Date]] {
        var result: [String: [String: Date]] = [:]
        do {
            let ledger = try kernel.occurrenceLedger()
            for schedule in schedules { result[schedule.name] = try await ledger.lastEmitted(schedule: schedule.name) }
            await ledger.close()
        } catch {
            FileHandle.standardError.write(Data("[WARNING] last runs unknown: \(error)\n".utf8))
        }
        return result
    }

    static func nextRuns(of trigger: any Trigger, after date: Date, count: Int) -> [Date] {
        var runs: [Date] = []
        var cursor = date
        while runs.count < count, let run = trigger.nextRun(after: cursor) {
            runs.append(run)
            cursor = run
        }
        return runs
    }

    /// The trigger as written, with what a hashed expression expands to and the jitter.
    static func describe(_ task: RecurringMessage, _ trigger: any Trigger) -> String {
        var text: String
        switch task.trigger {
        case .cron(_, let zone):
            let cron = (trigger as? JitterTrigger)?.inner ?? trigger
            text = cron.description + (zone.identifier == "UTC" ? "" : " (\(zone.identifier))")
        default:
            text = task.trigger.description
        }
        if task.jitterSeconds > 0 { text += " + up to \(task.jitterSeconds) s jitter" }
        return text
    }

    static func style(_ zone: TimeZone) -> Date.ISO8601FormatStyle {
        Date.ISO8601FormatStyle(timeZoneSeparator: .colon, timeZone: zone)
    }
}

extension RecurringMessage {
    /// The time zone its runs are shown in: the cron trigger's, else UTC.
    var zone: TimeZone {
        if case .cron(_, let zone) = trigger { return zone }
        return TimeZone(identifier: "UTC")!
    }
}
