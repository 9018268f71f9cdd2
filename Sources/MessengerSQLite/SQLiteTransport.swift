import Foundation
import Logging
import Messenger

/// `sqlite://PATH`: messages stored in a table of an SQLite file, in WAL mode.
///
/// Several worker processes may share one file: a claim runs in `BEGIN IMMEDIATE`, so each row goes to
/// exactly one worker. Acknowledgements are batched and written in the same transaction as the next
/// claim (or on `flush()`), so one fsync serves a whole batch. The transport composes a sender, a
/// receiver and an admin part that share one table (connection, schema, options).
public final class SQLiteTransport: SetupableTransport, QueueReceiver, ListableReceiver, ReplacingReceiver, DelayAwareReceiver, FlowControlledTransport, MessageCountingTransport,
    ClosableTransport, StopSignalStore, BatchSender, StartupCheckedTransport, MessageRecordStore, WorkerRegistry, QueuePauseControl, OperatorCredentialStore
{
    /// The transport's name in the configuration.
    public let name: String
    let table: SQLiteTable
    private let sender: SQLiteSender
    private let receiver: SQLiteReceiver
    private let admin: SQLiteAdmin
    private let records: SQLiteRecords

    /// `limits`: the configuration's `limits:`, enforced by this transport's claims across every
    /// worker on the file.
    public init(name: String, connection: SQLiteConnection, options: SQLiteTransportOptions, serializer: any Serializer, limits: FlowLimits = FlowLimits(),
                now: @escaping @Sendable () -> Date = Date.init, logger: Logger = Logger(label: "messenger.sqlite")) {
        self.name = name
        let table = SQLiteTable(name: name, connection: connection, options: options, serializer: serializer, limits: limits, now: now)
        self.table = table
        sender = SQLiteSender(table: table)
        receiver = SQLiteReceiver(table: table, logger: logger)
        admin = SQLiteAdmin(table: table)
        records = SQLiteRecords(table: table)
        stopSignalScope = "sqlite:" + connection.path
    }

    /// The connection it works on.
    public var connection: SQLiteConnection { table.connection }
    /// Its options.
    public var options: SQLiteTransportOptions { table.options }
    /// The file: transports on one file share the stop signal, the records, workers and pauses.
    public let stopSignalScope: String

    /// Creates its table, indexes and the records' tables, unless they exist.
    public func setup() async throws { try await table.setup() }
    /// Opens the file and reads its table; an error naming the file or the missing table.
    public func checkAtStartup() async throws { try await admin.checkAtStartup() }

    // MARK: Sender

    /// Stores the message; inside an open transaction on this file (`SQLiteConnection.withTransaction`),
    /// as part of it. With a `DeduplicateStamp` whose key is pending, stores nothing (or, to debounce,
    /// moves the pending message's due time) and answers with a `DeduplicatedStamp`.
    public func send(_ envelope: Envelope) async throws -> Envelope { try await sender.send(envelope) }

    /// Stores many messages in one transaction (or as part of the caller's); returns them with their ids.
    public func send(contentsOf envelopes: [Envelope]) async throws -> [Envelope] {
        if envelopes.contains(where: { $0.deduplication != nil }) { return try await sendEach(envelopes) }
        return try await sender.send(contentsOf: envelopes)
    }

    // MARK: Receiver

    public func get(limit: Int) async throws -> [Envelope] { try await receiver.get(limit: limit, fromQueues: [options.queueName]) }
    /// Claims up to `limit` due messages of the named queues of its table.
    public func get(limit: Int, fromQueues queues: [String]) async throws -> [Envelope] { try await receiver.get(limit: limit, fromQueues: queues) }
    public func ack(_ envelope: Envelope) async throws { try receiver.ack(envelope) }
    public func heldBack() async throws -> HeldBackCounts {
        try await table.prepare()
        let flow = table.flowClaim(queues: [options.queueName])
        return try await table.statisticsConnection.run { connection in try flow.heldBack(on: connection) }
    }

    public func waitingReason(rowId: String) async throws -> String? {
        guard let id = Int64(rowId) else { return nil }
        try await table.prepare()
        let flow = table.flowClaim(queues: [options.queueName])
        return try await table.connection.run { connection in try flow.waitingReason(id: id, on: connection) }
    }

    /// When messages under flow control that wait on a limit, a rate or their group may start (an
    /// idle worker looks again then); delayed messages are found by polling (`--sleep`).
    public func nextAvailableDate() async throws -> Date? { receiver.nextFlowLook() }
    public func reject(_ envelope: Envelope) async throws { try receiver.reject(envelope) }
    public func replace(_ original: Envelope, with replacement: Envelope, via sender: any Sender) throws -> Bool {
        try receiver.replace(original, with: replacement, via: sender)
    }
    public func flush() async throws { try await receiver.flush() }
    public func keepalive(_ envelope: Envelope) async throws { try await receiver.keepalive(envelope) }
    public func release(_ envelopes: [Envelope]) async throws { try await receiver.release(envelopes) }

    // MARK: Listing, statistics, signals

    /// The first `limit` stored messages of its queue, claimed or not, in id order.
    public func list(limit: Int) async throws -> [Envelope] { try await admin.list(limit: limit) }
    /// The stored message of its queue with row id `id`, if any.
    public func find(id: String) async throws -> Envelope? { try await admin.find(id: id) }
    public func claim(id: String) async throws -> ClaimByIdResult { try await admin.claim(id: id) }
    public func remove(id: String) async throws -> RemoveByIdResult { try await admin.remove(id: id) }
    /// Its queue's counts now.
    public func statistics() async throws -> TransportStatistics { try await admin.statistics() }
    public func requestWorkersStop(at date: Date) async throws { try await admin.requestWorkersStop(at: date) }
    public func lastStopRequest() async throws -> Date? { try await admin.lastStopRequest() }

    // MARK: Status records, workers, paused queues

    public var recordStoreIdentity: String { stopSignalScope }
    public var retention: RecordRetention { table.options.records.retention }
    public var recordsMessages: Bool { table.options.records.writesRecords }
    public func record(id: String) async throws -> MessageRecord? { try await records.record(id: id) }
    public func records(matching query: MessageRecordQuery) async throws -> [MessageRecord] { try await records.records(matching: query) }
    public func cancel(id: String) async throws -> CancelResult { try await records.cancel(id: id) }
    public func recordStarts(_ starts: [MessageStart]) async throws { try await records.recordStarts(starts) }
    public func reportProgress(_ reports: [ProgressReport]) async throws { try await records.reportProgress(reports) }
    public func cancellationRequests(among ids: [String]) async throws -> Set<String> { try await records.cancellationRequests(among: ids) }
    public func prune(_ retention: RecordRetention, limit: Int) async throws -> Int { try await records.prune(retention, limit: limit) }
    public func forget(ids: [String]) async throws -> Int { try await records.forget(ids: ids) }
    public func finishedCounts(since: Date, bucketSeconds: Int) async throws -> [FinishedCount] {
        try await records.finishedCounts(since: since, bucketSeconds: bucketSeconds)
    }
    public func recentTimings(limit: Int) async throws -> [MessageTiming] { try await records.recentTimings(limit: limit) }
    public func saveCredential(_ credential: OperatorCredential) async throws { try await records.saveCredential(credential) }
    public func credential(kind: OperatorCredential.Kind, key: String) async throws -> OperatorCredential? {
        try await records.credential(kind: kind, key: key)
    }
    public func credentials(kind: OperatorCredential.Kind) async throws -> [OperatorCredential] { try await records.credentials(kind: kind) }
    @discardableResult
    public func deleteCredential(kind: OperatorCredential.Kind, key: String) async throws -> Bool {
        try await records.deleteCredential(kind: kind, key: key)
    }
    public func heartbeat(_ worker: WorkerRecord) async throws { try await records.heartbeat(worker) }
    public func workers() async throws -> [WorkerRecord] { try await records.workers() }
    public func forgetWorkers(before date: Date) async throws { try await records.forgetWorkers(before: date) }
    public var queueName: String { table.options.queueName }
    /// Pauses `queue` for every worker of this file.
    public func pause(queue: String) async throws { try await records.pause(queue: queue) }
    /// Resumes `queue` for every worker of this file.
    public func resume(queue: String) async throws { try await records.resume(queue: queue) }
    /// The paused queues of this file.
    public func pausedQueues() async throws -> Set<String> { try await records.pausedQueues() }

    /// Writes the pending acknowledgements.
    public func close() async { try? await flush() }
}
