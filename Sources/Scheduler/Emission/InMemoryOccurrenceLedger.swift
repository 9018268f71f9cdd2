import Foundation
import Messenger
import Synchronization

/// Occurrence records kept in the process: exactly-once among the receivers of one process only.
/// For tests and for applications without a table transport.
public final class InMemoryOccurrenceLedger: OccurrenceLedger {
    private struct Record {
        var status: OccurrenceStatus
        var messageId: String?
        var recordedAt: Date
    }

    private let records = Mutex<[OccurrenceKey: Record]>([:])
    /// Held by `record` so that two calls never interleave.
    private let writer = AsyncLock()

    /// An empty ledger.
    public init() {}

    public func setup() async throws {}

    public func checkpoints(schedule: String) async throws -> [String: Date] {
        latest(schedule: schedule) { _ in true }
    }

    public func lastEmitted(schedule: String) async throws -> [String: Date] {
        latest(schedule: schedule) { $0.status == .emitted }
    }

    private func latest(schedule: String, where include: (Record) -> Bool) -> [String: Date] {
        records.withLock { records in
            var result: [String: Date] = [:]
            for (key, record) in records where key.schedule == schedule && include(record) {
                result[key.task] = max(result[key.task] ?? key.date, key.date)
            }
            return result
        }
    }

    public func record(_ entries: [OccurrenceEntry], emit: @Sendable ([OccurrenceEntry]) async throws -> [OccurrenceKey: String]) async throws -> [OccurrenceEntry] {
        try await writer.withLock {
            var accepted: [OccurrenceEntry] = []
            var latest = try await checkpoints(schedule: entries.first?.key.schedule ?? "")
            for entry in entries {
                let key = entry.key
                guard records.withLock({ $0[key] == nil }), latest[key.task].map({ $0 < key.date }) ?? true else { continue }
                latest[key.task] = key.date
                accepted.append(entry)
            }
            let ids = try await emit(accepted.filter { $0.status == .emitted })
            let now = Date()
            records.withLock { records in
                for entry in accepted { records[entry.key] = Record(status: entry.status, messageId: ids[entry.key], recordedAt: now) }
            }
            return accepted
        }
    }

    public func sharesTransaction(with sender: any Sender) -> Bool { false }

    public func prune(schedule: String, before date: Date) async throws {
        records.withLock { records in
            var latest: [String: OccurrenceKey] = [:]
            for key in records.keys where latest["\(key.schedule)/\(key.task)"].map({ $0.milliseconds < key.milliseconds }) ?? true {
                latest["\(key.schedule)/\(key.task)"] = key
            }
            let keep = Set(latest.values)
            records = records.filter { keep.contains($0.key) || $0.key.schedule != schedule || $0.value.recordedAt >= date }
        }
    }

    /// Nothing to close.
    public func close() async {}
}
