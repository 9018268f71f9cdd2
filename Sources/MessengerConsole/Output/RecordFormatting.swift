import Foundation
import Messenger

/// How commands print status records.
enum RecordFormatting {
    static func table(_ record: MessageRecord) -> TextTable {
        var table = TextTable("Field", "Value")
        table.add("Id", record.id)
        table.add("Type", record.type)
        table.add("Status", record.status.rawValue + (record.cancelRequested && !record.status.isFinished ? " (cancellation asked)" : ""))
        if let waiting = record.waitingOn { table.add("Waiting on", waiting) }
        table.add("Transport", "\(record.transport) (queue \(record.queue))")
        table.add("Attempts", "\(record.attempts)")
        table.add("Queued at", Formatting.date(record.createdAt))
        table.add("Available at", Formatting.date(record.availableAt))
        table.add("Started at", record.startedAt.map(Formatting.date) ?? "-")
        table.add("Finished at", record.finishedAt.map(Formatting.date) ?? "-")
        table.add("Worker", record.workerId ?? "-")
        table.add("Progress", progress(record) ?? "-")
        table.add("Result", record.result.map { Formatting.short($0, 200) } ?? "-")
        if record.errorType != nil || record.errorMessage != nil {
            table.add("Error", Formatting.short("\(record.errorType.map { $0 + ": " } ?? "")\(record.errorMessage ?? "")", 200))
            table.add("Where", record.errorHandler ?? "-")
        }
        table.add("Origin", record.origin ?? "-")
        return table
    }

    /// One line for a change seen while watching.
    static func line(_ record: MessageRecord) -> String {
        var parts = ["\(Formatting.date(Date()))", record.status.rawValue, "attempt \(record.attempts)"]
        if let progress = progress(record) { parts.append(progress) }
        if record.status == .completed, let result = record.result { parts.append("result " + Formatting.short(result, 120)) }
        if record.status == .failed || record.status == .retrying, let error = record.errorMessage { parts.append("error " + Formatting.short(error, 120)) }
        return parts.joined(separator: "  ")
    }

    static func progress(_ record: MessageRecord) -> String? {
        guard let progress = record.progress else { return nil }
        return String(format: "%.0f%%", progress * 100) + (record.progressNote.map { " " + $0 } ?? "")
    }
}
