import Foundation
import Messenger
import Synchronization

/// What the parts of an `sqlite://` transport share: its connection, its table's SQL, its options,
/// its serializer and its clock; and the table's set-up, done once.
final class SQLiteTable: Sendable {
    let name: String
    let connection: SQLiteConnection
    /// A connection of its own (opened on first use) for long statistics reads, the dashboard's
    /// throughput: WAL lets it read beside the writer, so counting a day of records never holds up
    /// the claims, sends and short reads queued on `connection`.
    let statisticsConnection: SQLiteConnection
    let options: SQLiteTransportOptions
    let schema: SQLiteSchema
    let serializer: any Serializer
    let now: @Sendable () -> Date
    /// The configuration's limits this table's claims enforce.
    let limits: FlowLimits
    /// Identifies this transport instance's claims: the process's worker id (so that a claim whose
    /// worker stopped renewing its record is taken back), then a suffix of this instance's own.
    let claimToken = WorkerIdentity.id + "/" + UUID().uuidString.prefix(8).lowercased()
    private let setUp = Mutex(false)

    init(name: String, connection: SQLiteConnection, options: SQLiteTransportOptions, serializer: any Serializer, limits: FlowLimits,
         now: @escaping @Sendable () -> Date) {
        self.name = name
        self.limits = limits
        self.connection = connection
        let separate = !connection.path.isEmpty && connection.path != ":memory:" && !connection.path.hasPrefix("file::memory:")
        statisticsConnection = separate
            ? SQLiteConnection(path: connection.path, busyTimeoutMilliseconds: connection.busyTimeoutMilliseconds, synchronous: connection.synchronous)
            : connection
        self.options = options
        self.schema = SQLiteSchema(table: options.tableName, doctrineDates: serializer is SymfonySerializer)
        self.serializer = serializer
        self.now = now
    }

    /// Creates the table, or brings one made by an earlier version up to date, once per connection.
    func setup(on target: SQLiteConnection? = nil) async throws {
        let (schema, name) = (schema, name)
        try await (target ?? connection).once("schema:\(schema.table)") { connection in
            let steps: @Sendable (isolated SQLiteConnection) throws -> Void = { connection in
                try connection.execute(schema.create)
                // A table of an earlier version, or one Symfony's Doctrine transport made, gets the
                // columns it lacks; with Doctrine's dates, its rows get both forms of their times.
                let columns = Set(try connection.query(schema.columns).compactMap { $0[0].string })
                if !schema.doctrineDates && columns.contains("available_ms") {
                    throw MessengerError(.invalidOption, "transport \"\(name)\": table \(schema.table) is shared with Symfony Messenger (a transport with serializer: symfony keeps Doctrine's dates in it): every transport on it needs serializer: symfony")
                }
                for column in schema.columnsBeyondDoctrine where !columns.contains(column.name) {
                    try connection.execute("ALTER TABLE \(schema.table) ADD COLUMN \(column.name) \(column.definition)")
                }
                if schema.doctrineDates {
                    if !columns.contains("available_ms") { try connection.execute(schema.adoptDoctrineDates) }
                    try connection.execute(schema.doctrineTriggers)
                }
                try connection.execute(schema.createClaimedIndex)
                try connection.execute(schema.createFlowIndexes)
                try connection.execute(SQLiteRecordSchema.create)
                try connection.execute(schema.createDeduplicationIndex)
            }
            // Inside a caller's transaction (a scheduler tick) it is already serialized; else take the
            // write lock, so that two processes upgrading one table do not both add the columns.
            if connection.inTransaction { try steps(connection) } else { try connection.transaction(steps) }
        }
    }

    /// Auto set-up runs once per transport; after that, sending and claiming go straight to the table.
    func prepare(on target: SQLiteConnection? = nil) async throws {
        guard options.autoSetup, !setUp.withLock({ $0 }) else { return }
        try await setup(on: target)
        setUp.withLock { $0 = true }
    }

    /// The caller's open transaction when it is on this file (see `SQLiteConnection.withTransaction`).
    func joinedTransaction() throws -> SQLiteConnection? {
        guard let transaction = SQLiteTransactionContext.current else { return nil }
        guard transaction.path == connection.path else {
            throw MessengerError(.transportFailure, "transport \"\(name)\" is on \(connection.path), but the open transaction is on \(transaction.path): the message cannot be part of it")
        }
        return transaction
    }

    /// The values of one row to insert: body, headers, queue, created and due times, deduplication,
    /// public id; under flow control, its type and group (`flow_order` stays null: its id orders it).
    func insertValues(_ envelope: Envelope, createdAt created: Int64) throws -> [SQLiteValue] {
        let encoded = try serializer.encode(envelope)
        let available = created + envelope.availabilityOffsetMilliseconds(priorityAgingMilliseconds: Int64(options.priorityAgingSeconds) * 1000)
        let rule = envelope.deduplication
        return [.text(encoded.body), .text(encoded.headers), .text(options.queueName), .integer(created), .integer(available),
                rule.map { .text($0.key) } ?? .null, .integer(rule?.whileHandling == true ? 1 : 0), envelope.messageId.map { .text($0) } ?? .null,
                flowType(envelope).map { .text($0) } ?? .null, envelope.groupKey.map { .text($0) } ?? .null, .null]
    }

    /// The wire type a row under flow control records: set when the message is in a group or a rule
    /// limits it here.
    func flowType(_ envelope: Envelope) -> String? {
        limits.controls(type: envelope.messageName, queue: options.queueName, grouped: envelope.groupKey != nil) ? envelope.messageName : nil
    }

    /// A row to insert and the status record to write with it (nil when not tracked).
    func storedRow(_ envelope: Envelope, createdAt created: Int64) throws -> StoredRow {
        StoredRow(values: try insertValues(envelope, createdAt: created), record: RecordedMessage(envelope, options: options.records), transport: name)
    }

    /// An envelope from a row of `SQLiteSchema.returning`.
    func envelope(from row: [SQLiteValue]) -> Envelope {
        let id = row[0].int ?? 0
        let decoded = serializer.decodeOrQuarantine(EncodedEnvelope(body: row[1].string ?? "", headers: row[2].string ?? ""))
        return decoded.with(TransportMessageIdStamp(String(id)), DeliveryCountStamp(Int(row[3].int ?? 0), abandonedStarts: Int(row[5].int ?? 0)))
            .received(availableAt: row[4].int ?? 0, priorityAgingMilliseconds: Int64(options.priorityAgingSeconds) * 1000)
    }

    /// Flow control of the given queues, now.
    func flowClaim(queues: [String]) -> SQLiteFlowClaim {
        SQLiteFlowClaim(schema: schema, rules: limits.startRules(forQueues: queues), queues: queues, now: nowMilliseconds, token: claimToken)
    }

    /// The claim a received envelope stands for.
    func claimReference(_ envelope: Envelope) throws -> ClaimReference {
        guard let id = envelope.last(TransportMessageIdStamp.self).flatMap({ Int64($0.id) }) else {
            throw MessengerError(.transportFailure, "transport \"\(name)\": the envelope carries no SQLite row id")
        }
        return ClaimReference(id: id, token: claimToken, deliveries: Int64(envelope.last(DeliveryCountStamp.self)?.count ?? 0),
                              messageId: options.records.writesRecords ? envelope.messageId : nil)
    }

    /// Now, in epoch milliseconds (the table's unit of time).
    var nowMilliseconds: Int64 { Self.milliseconds(now()) }

    /// Claims made before this instant belong to workers presumed dead.
    func expiredClaimLimit(now current: Int64) -> Int64 { current - Int64(options.redeliverTimeoutSeconds) * 1000 }

    static func milliseconds(_ date: Date) -> Int64 { date.epochMilliseconds }
}

/// A row as this transport claimed it: id, claim owner, and the delivery it is at; the public id
/// whose record its outcome updates (nil when untracked).
struct ClaimReference: Sendable {
    let id: Int64
    let token: String
    let deliveries: Int64
    let messageId: String?
    var bindings: [SQLiteValue] { [.integer(id), .text(token), .integer(deliveries)] }
}
