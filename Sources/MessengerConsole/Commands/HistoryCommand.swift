import ArgumentParser
import Foundation
import Messenger

/// `messenger:history`: status records, newest first, filtered, a page at a time.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messenger:history", abstract: "List messages by their status records, newest first.",
        discussion: "Pages continue with --after CURSOR (printed under a full page). --since takes an ISO 8601 time or an age: 90s, 30m, 6h, 2d."
    )

    @Option(help: "Only this status: \(MessageStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
    var status: String?

    @Option(help: "Only this message type (wire name).")
    var type: String?

    @Option(help: "Only this queue.")
    var queue: String?

    @Option(help: "Only messages queued since this time or within this age.")
    var since: String?

    @Option(help: "Only messages whose body contains this text.")
    var search: String?

    @Option(help: "At most this many (1 to 1000).")
    var limit = 50

    @Option(help: "Continue after this cursor (from the previous page).")
    var after: String?

    @Option(help: "Output format: txt or json.")
    var format: OutputFormat = .txt

    @OptionGroup var verbosity: Verbosity

    struct Page: Encodable {
        let records: [MessageRecord]
        let next: String?
    }

    func run() async throws {
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be from 1 to 1000, got \(limit)") }
        var query = MessageRecordQuery(type: type, queue: queue, search: search, limit: limit)
        if let status {
            guard let parsed = MessageStatus(rawValue: status) else {
                throw ValidationError("unknown status \"\(status)\"; statuses: \(MessageStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.status = parsed
        }
        if let since {
            guard let date = Self.date(since) else { throw ValidationError("--since must be an ISO 8601 time or an age such as 30m, 6h, 2d; got \"\(since)\"") }
            query.since = date
        }
        if let after {
            guard let cursor = MessageRecordCursor(after) else { throw ValidationError("--after takes the cursor a previous page printed, got \"\(after)\"") }
            query.after = cursor
        }
        let kernel = try MessengerKernel.boot(try ConsoleContext.current, logger: verbosity.logger("messenger.console"))
        var records: [MessageRecord] = []
        for store in kernel.recordStores { records += try await store.records(matching: query) }
        records.sort { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
        records = Array(records.prefix(limit))
        let next = records.count == limit ? records.last.map { MessageRecordCursor(after: $0).description } : nil
        if format == .json { return try printJSON(Page(records: records, next: next)) }
        if records.isEmpty { return print("No messages match.") }
        var table = TextTable("Id", "Type", "Queue", "Status", "Tries", "Queued at", "Progress / result / error")
        for record in records {
            let detail = record.status == .completed ? record.result : record.errorMessage ?? RecordFormatting.progress(record)
            table.add(record.id, record.type, record.queue, record.status.rawValue, "\(record.attempts)", Formatting.date(record.createdAt),
                      detail.map { Formatting.short($0, 60) } ?? "")
        }
        print(table.render())
        if let next { print("\nMore: --after \(next)") }
    }

    /// An ISO 8601 time, or an age back from now (`90s`, `30m`, `6h`, `2d`).
    static func date(_ text: String, now: Date = Date()) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount >= 0 else { return nil }
        return now.addingTimeInterval(-amount * unit)
    }
}
