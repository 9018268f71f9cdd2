import ArgumentParser
import Foundation
import Scheduler

/// `scheduler:cron EXPRESSION`: the next times any cron expression fires, to check one before using it.
struct SchedulerCronCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler:cron",
        abstract: "Print the next times a cron expression fires.",
        discussion: "Example: app scheduler:cron '30 2 * * *' --timezone Europe/Paris --from 2026-03-28T00:00:00Z --count 3"
    )

    @Argument(help: "Five fields (minute hour day-of-month month day-of-week) or a macro such as @daily.")
    var expression: String

    @Option(help: "Start after this time (ISO 8601, e.g. 2026-03-28T00:00:00Z); default now.")
    var from: String?

    @Option(help: "How many times to print.")
    var count = 5

    @Option(help: "The time zone the expression is read in (an IANA name, e.g. Europe/Paris).")
    var timezone = "UTC"

    @Option(help: "Output format: txt or json.")
    var format: OutputFormat = .txt

    struct Occurrence: Encodable {
        let utc: String
        let local: String
    }

    func run() throws {
        guard (1...1000).contains(count) else { throw ConsoleError("--count must be from 1 to 1000") }
        guard let zone = TimeZone(identifier: timezone) else {
            throw ConsoleError("unknown time zone \"\(timezone)\"; use an IANA name such as Europe/Paris or UTC")
        }
        var start = Date()
        if let from {
            guard let parsed = try? Date(from, strategy: .iso8601) else {
                throw ConsoleError("--from: expected an ISO 8601 date such as 2026-03-28T00:00:00Z, got \"\(from)\"")
            }
            start = parsed
        }
        let cron: CronExpression
        do { cron = try CronExpression(expression) } catch { throw ConsoleError(String(describing: error)) }
        let local = Date.ISO8601FormatStyle(timeZoneSeparator: .colon, timeZone: zone)
        let occurrences = cron.occurrences(after: start, count: count, in: zone).map {
            Occurrence(utc: $0.formatted(.iso8601), local: $0.formatted(local))
        }
        if format == .json { return try printJSON(occurrences) }
        var table = TextTable("Local (\(timezone))", "UTC")
        for occurrence in occurrences { table.add(occurrence.local, occurrence.utc) }
        print(table.render())
    }
}
