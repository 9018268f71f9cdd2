import Foundation
import Logging
import Messenger
import Synchronization

/// `postgresql://`: messages in a PostgreSQL table that any number of workers on any number of hosts
/// drain together.
///
/// One statement acknowledges the previous batch and claims the next with `FOR UPDATE SKIP LOCKED`;
/// no transaction stays open while handlers run. Each transport renews a lease on its owner key while
/// its process lives: rows claimed by a worker whose lease ran out (process killed, host lost) are
/// claimed again within seconds. LISTEN/NOTIFY wakes idle workers, or a short poll where a
/// transaction pooler (PgBouncer) sits in between and no direct connection is given for LISTEN. The transport composes a sender,
/// a receiver and an admin part that share one table (connections, schema, options, owner key).
public final class PostgresTransport: SetupableTransport, QueueReceiver, ListableReceiver, ReplacingReceiver, MessageCountingTransport,
    ClosableTransport, StopSignalStore, WakeUpSource, DelayAwareReceiver, FlowControlledTransport, StartupCheckedTransport, BatchSender, MessageRecordStore,
    WorkerRegistry, QueuePauseControl, OperatorCredentialStore
{
    /// The transport's name in the configuration.
    public let name: String
    let table: PostgresTable
    private let sender: PostgresSender
    private let receiver: PostgresReceiver
    private let admin: PostgresAdmin
    private let records: PostgresRecords
    private let listener = Mutex<PostgresListener?>(nil)
    private let poller: PostgresPoller

    /// A transport that claims, acknowledges, records and renews its lease on one connection: its
    /// own, or the one `sharing` gives every transport of the process on the same database.
    /// `limits`: the configuration's `limits:`, enforced by its claims across every worker.
    public init(name: String, info: PostgresConnectionInfo, options: PostgresTransportOptions, serializer: any Serializer, limits: FlowLimits = FlowLimits(),
                logger: Logger = Logger(label: "messenger.postgres"), sharing: PostgresConnectionSharing? = nil) {
        self.name = name
        let table = PostgresTable(name: name, info: info, options: options, serializer: serializer, limits: limits, logger: logger, sharing: sharing)
        self.table = table
        sender = PostgresSender(table: table)
        receiver = PostgresReceiver(table: table)
        admin = PostgresAdmin(table: table)
        records = PostgresRecords(table: table)
        poller = PostgresPoller(intervalMilliseconds: options.pollIntervalMilliseconds)
        stopSignalScope = "postgres:" + table.connection.info.databaseIdentity
    }

    /// Its options.
    public var options: PostgresTransportOptions { table.options }
    /// The connection it claims and acknowledges on.
    public var connection: PostgresConnection { table.connection }
    /// The database: transports on one database share the stop signal, the records, workers and pauses.
    public let stopSignalScope: String

    /// Creates its table, indexes, trigger and the records' tables, unless they exist.
    public func setup() async throws { try await table.explainingTimeouts { try await table.setup() } }
    /// Connects and reads its table; an error naming the server (never the password) or the missing table.
    public func checkAtStartup() async throws { try await admin.checkAtStartup() }

    // MARK: Sender

    /// Stores the message (inside the caller's transaction on this database, if one is open; outside,
    /// messages sent at the same time by other tasks share its commit). With a
    /// `DeduplicateStamp` whose key is pending, stores nothing (or, to debounce, moves the pending
    /// message's due time) and answers with a `DeduplicatedStamp`.
    public func send(_ envelope: Envelope) async throws -> Envelope {
        try await table.explainingTimeouts { try await sender.send(envelope) }
    }

    /// Stores many messages in one transaction and returns them with their ids (see `PostgresSender`).
    public func send(contentsOf envelopes: [Envelope]) async throws -> [Envelope] {
        if envelopes.contains(where: { $0.deduplication != nil }) { return try await sendEach(envelopes) }
        return try await table.explainingTimeouts { try await sender.send(contentsOf: envelopes) }
    }

    // MARK: Receiver

    public func get(limit: Int) async throws -> [Envelope] { try await get(limit: limit, fromQueues: [options.queueName]) }

    /// Claims up to `limit` due messages. When a claim comes back full (a backlog, handlers fast
    /// enough to take several at once), the next claim starts at once and runs while the worker
    /// handles this one (`read_ahead`); `flush` gives its messages back if the worker does not come
    /// for them.
    public func get(limit: Int, fromQueues queues: [String]) async throws -> [Envelope] {
        try await table.explainingTimeouts { try await receiver.get(limit: limit, fromQueues: queues) }
    }

    /// How many rows the claim read ahead holds, once it has finished; nil when none was started
    /// (for tests).
    func readAheadCount() async -> Int? { await receiver.readAheadCount() }

    public func ack(_ envelope: Envelope) async throws { try receiver.ack(envelope) }
    public func reject(_ envelope: Envelope) async throws { try receiver.reject(envelope) }
    public func replace(_ original: Envelope, with replacement: Envelope, via sender: any Sender) throws -> Bool {
        try receiver.replace(original, with: replacement, via: sender)
    }
    public func isClaimLost(_ envelope: Envelope) -> Bool { receiver.isClaimLost(envelope) }

    /// Stores the batched acknowledgements and replacements, and gives back what was claimed ahead.
    public func flush() async throws { try await table.explainingTimeouts { try await receiver.flush() } }
    public func keepalive(_ envelope: Envelope) async throws { try await table.explainingTimeouts { try await receiver.keepalive(envelope) } }
    public func release(_ envelopes: [Envelope]) async throws { try await table.explainingTimeouts { try await receiver.release(envelopes) } }

    // MARK: Wake-ups

    /// Starts waking idle workers: LISTEN on `listen_dsn`, or on the transport's own connection unless
    /// a transaction pooler sits in between; without LISTEN there, a poll every `poll_interval`.
    public func startWakeUps(_ handler: @escaping @Sendable () -> Void) async {
        if let info = listenInfo {
            let created = listener.withLock { current -> PostgresListener? in
                guard current == nil else { return nil }
                let listener = PostgresListener(info: info, channel: table.schema.channel, logger: table.logger, handler: handler)
                current = listener
                return listener
            }
            created?.start()
        } else if options.pooler == .transaction {
            let receiver = receiver
            poller.start(on: connection, schema: table.schema, logger: table.logger, idleQueues: { receiver.idleQueues }, handler: handler)
        }
    }

    /// Where LISTEN goes: `listen_dsn`, else the transport's own DSN unless a transaction pooler sits
    /// in between; nil without notifications.
    private var listenInfo: PostgresConnectionInfo? {
        guard options.useNotify else { return nil }
        if let dsn = options.listenDSN, let info = try? PostgresConnectionInfo(dsn: try DSN(parsing: dsn)) { return info }
        return options.listensOnOwnConnection ? connection.info : nil
    }

    /// While LISTEN works, or the poll does: `check_delayed_interval`, less up to a fifth at random
    /// (idle workers do not look all at once); it bounds the wait of a message stored without a
    /// notification of its own.
    public var idleWaitWhileListening: Duration? {
        guard listener.withLock({ $0?.isListening == true }) || poller.isRunning else { return nil }
        return .milliseconds(Int(Double(options.checkDelayedIntervalMilliseconds) * Double.random(in: 0.8...1)))
    }

    public func heldBack() async throws -> HeldBackCounts {
        try await table.prepare()
        let flow = table.flowClaim(queues: [options.queueName])
        return try await table.explainingTimeouts { try await table.statisticsConnection.run { connection in try flow.heldBack(on: connection) } }
    }

    public func waitingReason(rowId: String) async throws -> String? {
        guard let id = Int64(rowId) else { return nil }
        try await table.prepare()
        let flow = table.flowClaim(queues: [options.queueName])
        return try await table.explainingTimeouts { try await table.connection.run { connection in try flow.waitingReason(id: id, on: connection) } }
    }

    /// The next due time of a delayed message, or when messages under flow control that wait on a
    /// limit, a rate or their group may start, whichever comes first.
    public func nextAvailableDate() async throws -> Date? {
        let rows = try await connection.query(table.schema.nextAvailable, [.text(options.queueName)])
        let delayed = rows.rows.first?.first.flatMap { $0 }.flatMap(Double.init).map { Date(timeIntervalSince1970: $0 / 1000) }
        return [delayed, receiver.nextFlowLook()].compactMap { $0 }.min()
    }

    // MARK: Listing, statistics, signals

    /// The first `limit` stored messages of its queue, claimed or not, in id order.
    public func list(limit: Int) async throws -> [Envelope] { try await table.explainingTimeouts { try await admin.list(limit: limit) } }
    /// The stored message of its queue with row id `id`, if any.
    public func find(id: String) async throws -> Envelope? { try await table.explainingTimeouts { try await admin.find(id: id) } }
    public func claim(id: String) async throws -> ClaimByIdResult { try await table.explainingTimeouts { try await admin.claim(id: id) } }
    public func remove(id: String) async throws -> RemoveByIdResult { try await table.explainingTimeouts { try await admin.remove(id: id) } }
    /// Its queue's counts now (estimated from the planner past 100,000 rows).
    public func statistics() async throws -> TransportStatistics { try await table.explainingTimeouts { try await admin.statistics() } }
    public func requestWorkersStop(at date: Date) async throws { try await admin.requestWorkersStop(at: date) }
    public func lastStopRequest() async throws -> Date? { try await admin.lastStopRequest() }

    /// Stops as a killed process would, for tests: no acknowledgement written, the lease left to run
    /// out, the connections closed.
    @_spi(Testing) public func halt() async {
        await table.lease.stop(releasingOn: nil)
        poller.stop()
        await listener.withLock { $0 }?.stop()
        await connection.close()
        await table.batchConnection.close()
        await table.statisticsConnection.close()
    }

    // MARK: Status records, workers, paused queues

    public var recordStoreIdentity: String { stopSignalScope }
    public var retention: RecordRetention { table.options.records.retention }
    public var recordsMessages: Bool { table.options.records.writesRecords }
    public func record(id: String) async throws -> MessageRecord? { try await table.explainingTimeouts { try await records.record(id: id) } }
    public func records(matching query: MessageRecordQuery) async throws -> [MessageRecord] {
        try await table.explainingTimeouts { try await records.records(matching: query) }
    }
    public func cancel(id: String) async throws -> CancelResult { try await table.explainingTimeouts { try await records.cancel(id: id) } }
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
    public func workers() async throws -> [WorkerRecord] { try await table.explainingTimeouts { try await records.workers() } }
    public func forgetWorkers(before date: Date) async throws { try await records.forgetWorkers(before: date) }
    public var queueName: String { table.options.queueName }
    /// Pauses `queue` for every worker of this database.
    public func pause(queue: String) async throws { try await table.explainingTimeouts { try await records.pause(queue: queue) } }
    /// Resumes `queue` for every worker of this database.
    public func resume(queue: String) async throws { try await table.explainingTimeouts { try await records.resume(queue: queue) } }
    /// The paused queues of this database.
    public func pausedQueues() async throws -> Set<String> { try await table.explainingTimeouts { try await records.pausedQueues() } }

    /// Writes the pending acknowledgements, ends its lease (what it still holds is taken back at
    /// once), then closes its connections (a shared one once no other transport uses it).
    public func close() async {
        try? await flush()
        await table.lease.stop(releasingOn: connection, holdsClaims: !(table.held.heldIfClaimed ?? []).isEmpty)
        poller.stop()
        await listener.withLock { $0 }?.stop()
        await table.releaseConnection()
        await table.batchConnection.close()
        await table.statisticsConnection.close()
    }
}
