import Foundation
import Messenger

/// One occurrence of one task: the key under which it is recorded exactly once.
public struct OccurrenceKey: Hashable, Sendable, CustomStringConvertible {
    /// The schedule's name.
    public let schedule: String
    /// The recurring message's name.
    public let task: String
    /// Whole milliseconds since the Unix epoch: every process computes the same value.
    public let milliseconds: Int64

    /// The occurrence of `task` of `schedule` at `date` (to the millisecond).
    public init(schedule: String, task: String, at date: Date) {
        self.schedule = schedule
        self.task = task
        milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// The occurrence's date.
    public var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
    public var description: String { "\(schedule)/\(task)@\(date.formatted(.iso8601))" }
}

/// What a record stands for: an emitted message, or a checkpoint the schedule moved to without one.
public enum OccurrenceStatus: String, Sendable, Codable {
    /// The message was emitted for this occurrence.
    case emitted
    /// Missed occurrences up to this one were skipped by the catch-up policy.
    case skipped
    /// The task was first seen by a worker at this time: occurrences before it are not owed.
    case registered
}

/// An occurrence to record, and whether to emit its message.
public struct OccurrenceEntry: Sendable {
    /// The occurrence.
    public let key: OccurrenceKey
    /// What became of it.
    public let status: OccurrenceStatus
    /// An entry saying `key` was `status`.
    public init(_ key: OccurrenceKey, status: OccurrenceStatus) {
        self.key = key
        self.status = status
    }
}

/// The durable record of occurrences, shared by every process that consumes a schedule: a unique key
/// per (schedule, task, occurrence) makes each occurrence emitted once without a leader.
public protocol OccurrenceLedger: Sendable {
    /// Creates the table if needed.
    func setup() async throws
    /// The latest recorded occurrence of each task of a schedule (emitted, skipped or registered).
    func checkpoints(schedule: String) async throws -> [String: Date]
    /// The latest emitted occurrence of each task of a schedule.
    func lastEmitted(schedule: String) async throws -> [String: Date]
    /// Records the entries (oldest first per task) in one transaction. An entry whose key, or a later
    /// occurrence of its task, is already recorded is left out. `emit` then runs inside that
    /// transaction with the `.emitted` entries recorded, and returns the ids of the messages it sent,
    /// kept with the records; if it throws, nothing of the call is recorded. Returns the entries recorded.
    func record(_ entries: [OccurrenceEntry], emit: @Sendable ([OccurrenceEntry]) async throws -> [OccurrenceKey: String]) async throws -> [OccurrenceEntry]
    /// Whether a message sent to `sender` inside `record`'s `emit` is stored in the same transaction.
    func sharesTransaction(with sender: any Sender) -> Bool
    /// Deletes the records of a schedule recorded before `date` (real time), except each task's latest.
    func prune(schedule: String, before date: Date) async throws
    /// Releases its connection.
    func close() async
}

/// A transport whose database can hold the occurrence records (so that a scheduled message routed to
/// it is stored in the same transaction as its occurrence).
public protocol OccurrenceLedgerProvider: Sendable {
    /// A ledger in this transport's database, so that occurrences and their messages are written together.
    func makeOccurrenceLedger() -> any OccurrenceLedger
}
