import Foundation

/// A database where workers record themselves (`messenger:workers`).
public protocol WorkerRegistry: Sendable {
    /// Same identity, same database: a worker records itself once per database.
    var recordStoreIdentity: String { get }
    /// Inserts or renews the worker's record.
    func heartbeat(_ worker: WorkerRecord) async throws
    /// Every recorded worker, most recent first.
    func workers() async throws -> [WorkerRecord]
    /// Deletes records of workers stopped or gone before `date`.
    func forgetWorkers(before date: Date) async throws
}
