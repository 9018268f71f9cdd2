import Foundation
import Logging
import Messenger
import Synchronization

/// `postgresql://`: messages in a PostgreSQL table that any number of workers on any number of hosts
/// drain together.
///
/// One statement acknowledges the previous batch and claims the next with `FOR UPDATE SKIP LOCKED`;
/// no transaction stays open while handlers run. Each transport's connection holds a session advisory
/// lock on its owner key: rows claimed by a worker whose lock is gone (process killed, host lost) are
/// claimed again within seconds. LISTEN/NOTIFY wakes idle workers.
public final class PostgresTransport: SetupableTransport, QueueReceiver, ListableReceiver, MessageCountingTransport,
    ClosableTransport, StopSignalStore, WakeUpSource, DelayAwareReceiver, StartupCheckedTransport, BatchSender
{
    public let name: String
    public let options: PostgresTransportOptions
    public let connection: PostgresConnection
    let serializer: any Serializer
    let schema: PostgresSchema
    let logger: Logger
    /// This transport's claims, and the advisory lock that proves its worker alive (two positive int4,
    /// high and low half).
    let owner: Int64
    private let pendingAcks = Mutex<[PostgresClaim]>([])
    private let lastAbandonedCheck = Mutex<ContinuousClock.Instant?>(nil)
    private let handedOut: HandedOutClaims
    private let setUp = Mutex(false)
    private let listener = Mutex<PostgresListener?>(nil)
    /// The claim started ahead of the next `get`, and the queues it is for.
    private let readAhead = Mutex<ReadAhead?>(nil)
    /// Messages sent one by one outside a caller's transaction: concurrent senders share commits.
    private let coalescer: InsertCoalescer
    /// Large batches outside a caller's transaction are stored in a transaction of their own, on a
    /// connection of their own (opened on first use), one batch at a time: the main connection is
    /// shared by claims and other senders, which an open transaction would turn away.
    let batchConnection: PostgresConnection
    let batchLock = AsyncLock()

    private struct ReadAhead: Sendable {
        let queues: [String]
        let task: Task<[[String?]], any Error>
    }

    /// A transport with a connection of its own, which holds this transport's liveness lock.
    public init(name: String, info: PostgresConnectionInfo, options: PostgresTransportOptions, serializer: any Serializer, logger: Logger = Logger(label: "messenger.postgres")) {
        self.name = name
        self.options = options
        self.serializer = serializer
        let schema = PostgresSchema(table: options.tableName)
        self.schema = schema
        self.logger = logger
        let key = (Int32.random(in: 1...Int32.max), Int32.random(in: 1...Int32.max))
        let owner = Int64(key.0) << 32 | Int64(key.1)
        self.owner = owner
        let handedOut = HandedOutClaims()
        self.handedOut = handedOut
        let connection = PostgresConnection(info: info, onConnect: [{ connection in
            try connection.query("SELECT pg_advisory_lock($1::int, $2::int)", [.int(Int64(key.0)), .int(Int64(key.1))], prepare: false)
            guard let held = handedOut.handedOutIfClaimed else { return }
            do {
                let orphans = try connection.query(schema.orphanedClaims, [.int(owner), .integers(held)], prepare: false).rows
                guard !orphans.isEmpty else { return }
                try connection.query(schema.release, PostgresSchema.claimParameters(owner: owner, PostgresSchema.claims(of: orphans, deliveriesIn: 1)),
                                     prepare: false)
                logger.warning("Gave back \(orphans.count) message(s) claimed by a statement whose answer was lost with the connection")
            } catch {
                logger.warning("Cannot give back the claims whose answer was lost with the connection; they wait for redeliver_timeout: \(error)")
            }
        }])
        self.connection = connection
        batchConnection = PostgresConnection(info: info)
        let queue = options.queueName
        coalescer = InsertCoalescer { rows in
            let result = rows.count == 1
                ? try await connection.query(schema.insert, PostgresSchema.insertParameters(rows[0].encoded, queue: queue, delay: rows[0].delayMilliseconds))
                : try await connection.query(schema.insertMany, PostgresSchema.insertManyParameters(rows.map(\.encoded), queue: queue, delays: rows.map(\.delayMilliseconds)))
            return result.rows.map { $0.first.flatMap { $0 } ?? "?" }
        }
    }

    public var stopSignalScope: String { "postgres:" + connection.info.databaseIdentity }

    public func setup() async throws {
        let schema = schema
        let present = try await connection.query(
            "SELECT to_regclass($1) IS NOT NULL AND EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = $2) AND to_regclass($3) IS NOT NULL",
            [.text(schema.table), .text(schema.table + "_notify"), .text(schema.table + "_dedup")], prepare: false)
        if present.rows.first?.first == "t" { return }
        try await connection.transaction { connection in try connection.execute(schema.create) }
    }

    func prepare() async throws {
        guard options.autoSetup, !setUp.withLock({ $0 }) else { return }
        try await setup()
        setUp.withLock { $0 = true }
    }

    public func checkAtStartup() async throws {
        do {
            try await connection.connect()
            try await prepare()
        } catch let error as PostgresError where error.isPermanent {
            throw error
        } catch {
            logger.warning("Transport \(name) is not reachable yet; the worker will retry: \(error)")
        }
    }

    // MARK: Sender

    /// Stores the message (inside the caller's transaction on this database, if one is open; outside,
    /// messages sent at the same time by other tasks share its commit). With a
    /// `DeduplicateStamp` whose key is pending, stores nothing (or, to debounce, moves the pending
    /// message's due time) and answers with a `DeduplicatedStamp`.
    public func send(_ envelope: Envelope) async throws -> Envelope {
        try await prepare()
        let encoded = try serializer.encode(envelope)
        let delay = envelope.last(DelayStamp.self)?.milliseconds ?? 0
        guard let rule = envelope.deduplication else {
            guard PostgresTransactionContext.current == nil else {
                let rows = try await target().query(schema.insert, PostgresSchema.insertParameters(encoded, queue: options.queueName, delay: delay))
                return envelope.with(TransportMessageIdStamp(rows.rows.first?.first.flatMap { $0 } ?? "?"))
            }
            return envelope.with(TransportMessageIdStamp(try await coalescer.insert(.init(encoded: encoded, delayMilliseconds: delay))))
        }
        let (schema, queue, name) = (schema, options.queueName, name)
        let retried = envelope.last(TransportMessageIdStamp.self).flatMap { Int64($0.id) }
        let store: @Sendable (isolated PostgresConnection) throws -> Envelope = { connection in
            if let retried { try connection.query(schema.releaseOwnKey, [.int(retried), .text(queue), .text(rule.key)]) }
            // The pending message may be claimed or acknowledged between the insert and the look-up:
            // then insert again.
            for _ in 0..<3 {
                let inserted = try connection.query(schema.insertDeduplicated, [
                    .text(encoded.body), .text(encoded.headers), .text(queue), .int(delay), .text(rule.key), .text(rule.whileHandling ? "true" : "false"),
                ])
                if let id = inserted.rows.first?.first ?? nil { return envelope.with(TransportMessageIdStamp(id)) }
                guard let pending = try connection.query(schema.pendingWithKey, [.text(queue), .text(rule.key)]).rows.first, let id = pending[0] else { continue }
                var debounced = false
                if rule.debounce, pending[1] == "t", let number = Int64(id) {
                    debounced = try connection.query(schema.moveDueTime, [.int(number), .int(delay)]).affected == 1
                }
                return envelope.with(DeduplicatedStamp(existingMessageId: id, debounced: debounced))
            }
            throw MessengerError(.transportFailure, "transport \"\(name)\": key \(rule.key) kept changing hands while storing; try again")
        }
        let target = try target()
        if target === connection { return try await connection.transaction(store) }
        return try await target.run(store)
    }

    /// The connection to write on: the caller's open transaction when it is on this database.
    func target() throws -> PostgresConnection {
        guard let transaction = PostgresTransactionContext.current else { return connection }
        guard transaction.info.databaseIdentity == connection.info.databaseIdentity else {
            throw MessengerError(.transportFailure, "transport \"\(name)\" is on \(connection.info.databaseIdentity), but the open transaction is on \(transaction.info.databaseIdentity): the message cannot be part of it")
        }
        return transaction
    }

    // MARK: Receiver

    public func get(limit: Int) async throws -> [Envelope] {
        try await get(limit: limit, fromQueues: [options.queueName])
    }

    /// Claims up to `limit` due messages. When a claim comes back full (a backlog, handlers fast
    /// enough to take several at once), the next claim starts at once and runs while the worker
    /// handles this one (`read_ahead`); `flush` gives its messages back if the worker does not come
    /// for them.
    public func get(limit: Int, fromQueues queues: [String]) async throws -> [Envelope] {
        try await prepare()
        let limit = max(1, min(limit, options.prefetch))
        var rows: [[String?]]
        if let ahead = takeReadAhead(), let claimed = try? await ahead.task.value {
            rows = claimed
            if ahead.queues != queues {
                try await giveBack(rows)
                rows = try await claim(limit: limit, queues: queues)
            } else if rows.count > limit {
                try await giveBack(Array(rows[limit...]))
                rows = Array(rows[..<limit])
            }
        } else {
            rows = try await claim(limit: limit, queues: queues)
        }
        handedOut.handOut(rows.compactMap { Int64($0[0] ?? "") })
        if options.readAhead, limit > 1, rows.count == limit {
            let task = Task { try await self.claim(limit: limit, queues: queues) }
            readAhead.withLock { $0 = ReadAhead(queues: queues, task: task) }
        }
        return rows.map(envelope(from:))
    }

    /// How many rows the claim read ahead holds, once it has finished; nil when none was started
    /// (for tests).
    func readAheadCount() async -> Int? {
        guard let ahead = readAhead.withLock({ $0 }) else { return nil }
        return (try? await ahead.task.value)?.count
    }

    /// One claim: rows of dead workers first (looked for at most once a second, unless the last look
    /// found a full batch), then due rows; the acknowledgements gathered so far go with it.
    private func claim(limit: Int, queues: [String]) async throws -> [[String?]] {
        handedOut.claiming()
        var rows: [[String?]] = []
        if shouldCheckAbandoned() {
            rows = try await connection.query(schema.claimAbandoned(queues: queues.count), [
                .int(owner), .int(Int64(limit)), .int(Int64(options.redeliverTimeoutSeconds)), PostgresSchema.queueParameter(queues),
            ]).rows
            if !rows.isEmpty { logger.warning("Claimed \(rows.count) message(s) of \(name) whose worker is gone or past redeliver_timeout") }
            // A full batch: more may be waiting, so the next claim looks again at once.
            if rows.count == limit { lastAbandonedCheck.withLock { $0 = nil } }
        }
        let claimed = rows.count
        rows += try await withPendingAcks { acks in
            try await connection.query(schema.claimReady(queues: queues.count), PostgresSchema.claimParameters(owner: owner, acks) + [
                .int(Int64(limit - claimed)), PostgresSchema.queueParameter(queues),
            ]).rows
        }
        return rows.sorted { (Int64($0[0] ?? "") ?? 0) < (Int64($1[0] ?? "") ?? 0) }
    }

    /// Runs `body` with the acknowledgements gathered so far; when it fails they wait for the next try.
    private func withPendingAcks<T>(_ body: ([PostgresClaim]) async throws -> T) async throws -> T {
        let acks = pendingAcks.withLock { pending in defer { pending = [] }; return pending }
        do {
            return try await body(acks)
        } catch {
            pendingAcks.withLock { $0.insert(contentsOf: acks, at: 0) }
            throw error
        }
    }

    private func takeReadAhead() -> ReadAhead? {
        readAhead.withLock { current in defer { current = nil }; return current }
    }

    /// Waits for the claim read ahead, if any, and gives its rows back.
    private func endReadAhead() async throws {
        guard let ahead = takeReadAhead(), let claimed = try? await ahead.task.value else { return }
        try await giveBack(claimed)
    }

    /// Gives back rows claimed ahead that no worker took.
    private func giveBack(_ rows: [[String?]]) async throws {
        guard !rows.isEmpty else { return }
        try await connection.query(schema.release, PostgresSchema.claimParameters(owner: owner, PostgresSchema.claims(of: rows, deliveriesIn: 3)))
    }

    /// Dead workers' rows are looked for at most once a second: a cheap pass over in-flight rows.
    private func shouldCheckAbandoned() -> Bool {
        lastAbandonedCheck.withLock { last in
            let now = ContinuousClock.now
            if let previous = last, now - previous < .seconds(1) { return false }
            last = now
            return true
        }
    }

    public func ack(_ envelope: Envelope) async throws { try scheduleRemoval(of: envelope) }

    public func reject(_ envelope: Envelope) async throws { try scheduleRemoval(of: envelope) }

    /// Stores the batched acknowledgements, and gives back what was claimed ahead (the worker flushes
    /// when it goes idle, turns to another receiver or stops).
    public func flush() async throws {
        try await endReadAhead()
        try await withPendingAcks { acks in
            guard !acks.isEmpty else { return }
            try await connection.query(schema.deleteAcked, PostgresSchema.claimParameters(owner: owner, acks))
        }
    }

    public func keepalive(_ envelope: Envelope) async throws {
        let claim = try claimOf(envelope)
        try await connection.query(schema.keepalive, [.int(claim.id), .int(owner), .int(claim.deliveries)])
    }

    /// Gives back claimed messages, and what was claimed ahead first (so that it cannot take them again).
    public func release(_ envelopes: [Envelope]) async throws {
        try await endReadAhead()
        let claims = try envelopes.map(claimOf)
        handedOut.settle(claims.map(\.id))
        try await connection.query(schema.release, PostgresSchema.claimParameters(owner: owner, claims))
    }

    private func scheduleRemoval(of envelope: Envelope) throws {
        let claim = try claimOf(envelope)
        handedOut.settle(claim.id)
        pendingAcks.withLock { $0.append(claim) }
    }

    private func claimOf(_ envelope: Envelope) throws -> PostgresClaim {
        guard let id = envelope.last(TransportMessageIdStamp.self).flatMap({ Int64($0.id) }) else {
            throw MessengerError(.transportFailure, "transport \"\(name)\": the envelope carries no PostgreSQL row id")
        }
        return (id, Int64(envelope.last(DeliveryCountStamp.self)?.count ?? 0))
    }

    // MARK: Wake-ups

    public func startWakeUps(_ handler: @escaping @Sendable () -> Void) async {
        guard options.useNotify else { return }
        let created = listener.withLock { current -> PostgresListener? in
            guard current == nil else { return nil }
            let listener = PostgresListener(info: connection.info, channel: schema.channel, logger: logger, handler: handler)
            current = listener
            return listener
        }
        created?.start()
    }

    public var idleWaitWhileListening: Duration? {
        listener.withLock { $0?.isListening == true } ? .milliseconds(options.checkDelayedIntervalMilliseconds) : nil
    }

    public func nextAvailableDate() async throws -> Date? {
        let rows = try await connection.query(schema.nextAvailable, [.text(options.queueName)])
        return rows.rows.first?.first.flatMap { $0 }.flatMap(Double.init).map { Date(timeIntervalSince1970: $0 / 1000) }
    }

    // MARK: Listing, statistics, signals

    public func list(limit: Int) async throws -> [Envelope] {
        try await prepare()
        return try await connection.query(schema.list, [.text(options.queueName), .int(Int64(min(limit, Int(Int32.max))))]).rows.map(envelope(from:))
    }

    public func find(id: String) async throws -> Envelope? {
        guard let number = Int64(id) else { return nil }
        try await prepare()
        return try await connection.query(schema.find, [.text(options.queueName), .int(number)]).rows.first.map(envelope(from:))
    }

    public func remove(id: String) async throws -> Bool {
        guard let number = Int64(id) else { return false }
        try await prepare()
        return try await connection.query(schema.remove, [.text(options.queueName), .int(number)]).affected > 0
    }

    public func statistics() async throws -> TransportStatistics {
        try await prepare()
        let row = try await connection.query(schema.statistics, [.text(options.queueName)]).rows[0]
        func int(_ index: Int) -> Int { Int(row[index] ?? "0") ?? 0 }
        return TransportStatistics(total: int(0), ready: int(1), delayed: int(2), inFlight: int(3), oldestAgeSeconds: row[4].flatMap(Double.init))
    }

    public func requestWorkersStop(at date: Date) async throws {
        try await prepare()
        try await connection.query(PostgresSchema.requestStop, [.double(date.timeIntervalSince1970)])
    }

    public func lastStopRequest() async throws -> Date? {
        try await prepare()
        return try await connection.query(PostgresSchema.lastStop).rows.first?.first.flatMap { $0 }.flatMap(Double.init)
            .map { Date(timeIntervalSince1970: $0) }
    }

    public func close() async {
        try? await flush()
        await listener.withLock { $0 }?.stop()
        await connection.close()
        await batchConnection.close()
    }

    private func envelope(from row: [String?]) -> Envelope {
        let decoded = serializer.decodeOrQuarantine(EncodedEnvelope(body: row[1] ?? "", headers: row[2] ?? ""))
        return decoded.with(TransportMessageIdStamp(row[0] ?? "?"), DeliveryCountStamp(Int(row[3] ?? "0") ?? 0))
    }
}
