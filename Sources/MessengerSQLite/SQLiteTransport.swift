import Foundation
import Logging
import Messenger
import Synchronization

/// `sqlite://PATH`: messages stored in a table of an SQLite file, in WAL mode.
///
/// Several worker processes may share one file: a claim runs in `BEGIN IMMEDIATE`, so each row goes to
/// exactly one worker. Acknowledgements are batched and written in the same transaction as the next
/// claim (or on `flush()`), so one fsync serves a whole batch.
public final class SQLiteTransport: SetupableTransport, QueueReceiver, ListableReceiver, MessageCountingTransport,
    ClosableTransport, StopSignalStore, BatchSender
{
    public let name: String
    public let options: SQLiteTransportOptions
    public let connection: SQLiteConnection
    let serializer: any Serializer
    let schema: SQLiteSchema
    let now: @Sendable () -> Date
    /// Identifies this transport instance's claims.
    let claimToken = UUID().uuidString
    private let pendingRemovals = Mutex<[ClaimReference]>([])
    private let setUp = Mutex(false)

    public init(name: String, connection: SQLiteConnection, options: SQLiteTransportOptions, serializer: any Serializer, now: @escaping @Sendable () -> Date = Date.init) {
        self.name = name
        self.connection = connection
        self.options = options
        self.serializer = serializer
        self.schema = SQLiteSchema(table: options.tableName)
        self.now = now
    }

    public var stopSignalScope: String { "sqlite:" + connection.path }

    public func setup() async throws { try await setup(on: connection) }

    private func setup(on target: SQLiteConnection) async throws {
        let schema = schema
        try await target.once("schema:\(schema.table)") { connection in
            let steps: @Sendable (isolated SQLiteConnection) throws -> Void = { connection in
                try connection.execute(schema.create)
                let columns = try connection.query(schema.columns).compactMap { $0[0].string }
                if !columns.contains("dedup_key") { try connection.execute(schema.addDeduplicationColumns) }
                try connection.execute(schema.createDeduplicationIndex)
            }
            // Inside a caller's transaction (a scheduler tick) it is already serialized; else take the
            // write lock, so that two processes upgrading one table do not both add the columns.
            if connection.inTransaction { try steps(connection) } else { try connection.transaction(steps) }
        }
    }

    /// Auto set-up runs once per transport; after that, sending and claiming go straight to the table.
    private func prepare(on target: SQLiteConnection? = nil) async throws {
        guard options.autoSetup, !setUp.withLock({ $0 }) else { return }
        try await setup(on: target ?? connection)
        setUp.withLock { $0 = true }
    }

    /// The caller's open transaction when it is on this file (see `SQLiteConnection.withTransaction`).
    private func joinedTransaction() throws -> SQLiteConnection? {
        guard let transaction = SQLiteTransactionContext.current else { return nil }
        guard transaction.path == connection.path else {
            throw MessengerError(.transportFailure, "transport \"\(name)\" is on \(connection.path), but the open transaction is on \(transaction.path): the message cannot be part of it")
        }
        return transaction
    }

    // MARK: Sender

    /// What storing a message did.
    private enum Stored: Sendable {
        case inserted(Int64)
        case duplicate(of: Int64, debounced: Bool)
    }

    /// Stores the message; inside an open transaction on this file (`SQLiteConnection.withTransaction`),
    /// as part of it. With a `DeduplicateStamp` whose key is pending, stores nothing (or, to debounce,
    /// moves the pending message's due time) and answers with a `DeduplicatedStamp`.
    public func send(_ envelope: Envelope) async throws -> Envelope {
        let joined = try joinedTransaction()
        try await prepare(on: joined)
        let encoded = try serializer.encode(envelope)
        let created = Self.milliseconds(now())
        let available = created + (envelope.last(DelayStamp.self)?.milliseconds ?? 0)
        let (schema, queue, rule) = (schema, options.queueName, envelope.deduplication)
        let retried = envelope.last(TransportMessageIdStamp.self).flatMap { Int64($0.id) }
        let store: @Sendable (isolated SQLiteConnection) throws -> Stored = { connection in
            if let rule {
                if let retried { try connection.query(schema.releaseOwnKey, [.integer(retried), .text(queue), .text(rule.key)]) }
                if let pending = try connection.query(schema.pendingWithKey, [.text(queue), .text(rule.key)]).first, let id = pending[0].int {
                    let debounced = rule.debounce && pending[1].int == 1
                    if debounced { try connection.query(schema.moveDueTime, [.integer(id), .integer(available)]) }
                    return .duplicate(of: id, debounced: debounced)
                }
            }
            try connection.query(schema.insert, [
                .text(encoded.body), .text(encoded.headers), .text(queue), .integer(created), .integer(available),
                rule.map { .text($0.key) } ?? .null, .integer(rule?.whileHandling == true ? 1 : 0),
            ])
            return .inserted(connection.lastInsertRowID)
        }
        let stored: Stored
        if let joined { stored = try await joined.run(store) } else { stored = try await connection.transaction(store) }
        switch stored {
        case .inserted(let id): return envelope.with(TransportMessageIdStamp(String(id)))
        case .duplicate(let id, let debounced): return envelope.with(DeduplicatedStamp(existingMessageId: String(id), debounced: debounced))
        }
    }

    /// Stores many messages in one transaction (or as part of the caller's); returns them with their ids.
    public func send(contentsOf envelopes: [Envelope]) async throws -> [Envelope] {
        guard !envelopes.isEmpty else { return [] }
        if envelopes.contains(where: { $0.deduplication != nil }) { return try await sendEach(envelopes) }
        let joined = try joinedTransaction()
        try await prepare(on: joined)
        let created = Self.milliseconds(now())
        let queue = options.queueName
        let rows: [[SQLiteValue]] = try envelopes.map { envelope in
            let encoded = try serializer.encode(envelope)
            let available = created + (envelope.last(DelayStamp.self)?.milliseconds ?? 0)
            return [.text(encoded.body), .text(encoded.headers), .text(queue), .integer(created), .integer(available), .null, .integer(0)]
        }
        let sql = schema.insert
        let insert: @Sendable (isolated SQLiteConnection) throws -> [Int64] = { connection in
            try rows.map { row in
                try connection.query(sql, row)
                return connection.lastInsertRowID
            }
        }
        let ids: [Int64]
        if let joined { ids = try await joined.run(insert) } else { ids = try await connection.transaction(insert) }
        return zip(envelopes, ids).map { $0.with(TransportMessageIdStamp(String($1))) }
    }

    // MARK: Receiver

    public func get(limit: Int) async throws -> [Envelope] {
        try await get(limit: limit, fromQueues: [options.queueName])
    }

    public func get(limit: Int, fromQueues queues: [String]) async throws -> [Envelope] {
        try await prepare()
        let removals = pendingRemovals.withLock { pending in defer { pending = [] }; return pending }
        let current = Self.milliseconds(now())
        let expired = current - Int64(options.redeliverTimeoutSeconds) * 1000
        let (claimSQL, deleteSQL, token) = (schema.claim(queueCount: queues.count), schema.deleteClaimed, claimToken)
        let bindings: [SQLiteValue] = [.integer(current), .text(token), .integer(expired), .integer(Int64(max(1, limit)))] + queues.map { .text($0) }
        let rows: [[SQLiteValue]]
        do {
            rows = try await connection.transaction { connection in
                for removal in removals { try connection.query(deleteSQL, removal.bindings) }
                return try connection.query(claimSQL, bindings)
            }
        } catch {
            pendingRemovals.withLock { $0.insert(contentsOf: removals, at: 0) }
            throw error
        }
        return rows.sorted { ($0[4].int ?? 0, $0[0].int ?? 0) < ($1[4].int ?? 0, $1[0].int ?? 0) }.map(envelope(from:))
    }

    public func ack(_ envelope: Envelope) async throws { try scheduleRemoval(of: envelope) }

    public func reject(_ envelope: Envelope) async throws { try scheduleRemoval(of: envelope) }

    public func flush() async throws {
        let removals = pendingRemovals.withLock { pending in defer { pending = [] }; return pending }
        guard !removals.isEmpty else { return }
        let sql = schema.deleteClaimed
        do {
            try await connection.transaction { connection in
                for removal in removals { try connection.query(sql, removal.bindings) }
            }
        } catch {
            pendingRemovals.withLock { $0.insert(contentsOf: removals, at: 0) }
            throw error
        }
    }

    public func keepalive(_ envelope: Envelope) async throws {
        let reference = try claimReference(envelope)
        let (sql, current) = (schema.keepalive, Self.milliseconds(now()))
        try await connection.query(sql, reference.bindings + [.integer(current)])
    }

    public func release(_ envelopes: [Envelope]) async throws {
        let references = try envelopes.map(claimReference)
        let (sql, superseded) = (schema.release, schema.deleteSupersededClaim)
        try await connection.transaction { connection in
            for reference in references {
                try connection.query(superseded, reference.bindings)
                try connection.query(sql, reference.bindings)
            }
        }
    }

    private func scheduleRemoval(of envelope: Envelope) throws {
        let reference = try claimReference(envelope)
        pendingRemovals.withLock { $0.append(reference) }
    }

    // MARK: Listing, statistics, signals

    public func list(limit: Int) async throws -> [Envelope] {
        try await prepare()
        let rows = try await connection.query(schema.list, [.text(options.queueName), .integer(Int64(limit))])
        return rows.map(envelope(from:))
    }

    public func find(id: String) async throws -> Envelope? {
        guard let number = Int64(id) else { return nil }
        try await prepare()
        return try await connection.query(schema.find, [.text(options.queueName), .integer(number)]).first.map(envelope(from:))
    }

    public func remove(id: String) async throws -> Bool {
        guard let number = Int64(id) else { return false }
        try await prepare()
        let (sql, queue) = (schema.remove, options.queueName)
        return try await connection.transaction { connection in
            try connection.query(sql, [.text(queue), .integer(number)])
            return connection.changes > 0
        }
    }

    public func statistics() async throws -> TransportStatistics {
        try await prepare()
        let current = now()
        let row = try await connection.query(schema.statistics, [.text(options.queueName), .integer(Self.milliseconds(current))])[0]
        return TransportStatistics(
            total: Int(row[0].int ?? 0), ready: Int(row[1].int ?? 0), delayed: Int(row[2].int ?? 0), inFlight: Int(row[3].int ?? 0),
            oldestAgeSeconds: row[4].int.map { current.timeIntervalSince1970 - Double($0) / 1000 }
        )
    }

    public func requestWorkersStop(at date: Date) async throws {
        try await prepare()
        try await connection.query(SQLiteSchema.requestStop, [.integer(Self.milliseconds(date))])
    }

    public func lastStopRequest() async throws -> Date? {
        try await prepare()
        let rows = try await connection.query(SQLiteSchema.lastStop)
        return rows.first?[0].int.map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    public func close() async { try? await flush() }

    // MARK: Rows

    private func envelope(from row: [SQLiteValue]) -> Envelope {
        let id = row[0].int ?? 0
        let decoded = serializer.decodeOrQuarantine(EncodedEnvelope(body: row[1].string ?? "", headers: row[2].string ?? ""))
        return decoded.with(TransportMessageIdStamp(String(id)), DeliveryCountStamp(Int(row[3].int ?? 0)))
    }

    private func claimReference(_ envelope: Envelope) throws -> ClaimReference {
        guard let id = envelope.last(TransportMessageIdStamp.self).flatMap({ Int64($0.id) }) else {
            throw MessengerError(.transportFailure, "transport \"\(name)\": the envelope carries no SQLite row id")
        }
        return ClaimReference(id: id, token: claimToken, deliveries: Int64(envelope.last(DeliveryCountStamp.self)?.count ?? 0))
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
}

/// A row as this transport claimed it: id, claim owner, and the delivery it is at.
struct ClaimReference: Sendable {
    let id: Int64
    let token: String
    let deliveries: Int64
    var bindings: [SQLiteValue] { [.integer(id), .text(token), .integer(deliveries)] }
}
