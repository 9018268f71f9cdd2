import Foundation

/// A database where workers record themselves (`messenger:workers`).
public protocol WorkerRegistry: Sendable {
    /// Same identity, same database: a worker records itself once per database.
    var recordStoreIdentity: String { get }
    /// Inserts or renews the worker's record, and adds the attempts it finished since its previous
    /// heartbeat (its totals are since it started) to its count of the current minute.
    func heartbeat(_ worker: WorkerRecord) async throws
    /// Every recorded worker, most recent first.
    func workers() async throws -> [WorkerRecord]
    /// Deletes records of workers stopped or gone before `date`, and per-minute counts older than
    /// `FinishedCount.keptDays` days.
    func forgetWorkers(before date: Date) async throws
}
