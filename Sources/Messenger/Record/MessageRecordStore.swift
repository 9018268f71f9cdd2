import Foundation

/// The status records of the messages a transport stores, kept in its own database (the in-memory
/// transport keeps them in memory). The transport writes them with its own writes; this protocol
/// is how they are read and how operators act on them.
public protocol MessageRecordStore: Sendable {
    /// Transports on one database share their records: stores with the same identity are one.
    var recordStoreIdentity: String { get }
    /// False when this transport keeps no records (`tracking: none`): its worker then neither
    /// reports progress nor watches for cancellations.
    var recordsMessages: Bool { get }
    /// One record by public id.
    func record(id: String) async throws -> MessageRecord?
    /// A page of records, newest first.
    func records(matching query: MessageRecordQuery) async throws -> [MessageRecord]
    /// Cancels a waiting message at once, or asks the worker running it to stop.
    func cancel(id: String) async throws -> CancelResult
    /// Marks started attempts `running` (with their attempt, start time and worker); a record that
    /// is not waiting any more (finished meanwhile) is left alone.
    func recordStarts(_ starts: [MessageStart]) async throws
    /// Stores the progress of messages being handled (id, fraction, note).
    func reportProgress(_ reports: [ProgressReport]) async throws
    /// Which of these running messages an operator asked to cancel.
    func cancellationRequests(among ids: [String]) async throws -> Set<String>
    /// How long this transport keeps finished records (its options).
    var retention: RecordRetention { get }
    /// Deletes this transport's finished records (those of its name and queue) past `retention`, at
    /// most `limit`; returns how many went.
    func prune(_ retention: RecordRetention, limit: Int) async throws -> Int
    /// Deletes the records of these messages that have finished (a waiting or running one is left:
    /// cancel it first); returns how many went.
    func forget(ids: [String]) async throws -> Int
    /// How many attempts finished (completed or failed) in each bucket of `bucketSeconds` (a whole
    /// number of minutes) since `since`: the per-minute counts the workers add with their heartbeats
    /// (`WorkerRegistry.heartbeat`), so that reading a day costs a few thousand rows, not a scan of
    /// the records.
    func finishedCounts(since: Date, bucketSeconds: Int) async throws -> [FinishedCount]
    /// The wait and run times of the latest finished messages, at most `limit` of each status.
    func recentTimings(limit: Int) async throws -> [MessageTiming]
}
