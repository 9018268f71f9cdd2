import Foundation
import Logging
import Messenger
import Synchronization

/// What the parts of a `postgresql://` transport share: its connections, its table's SQL, its
/// options, its serializer, its owner key; the table's set-up, done once; and the wording of the
/// errors that a lock or a slow statement causes.
final class PostgresTable: Sendable {
    let name: String
    let options: PostgresTransportOptions
    let schema: PostgresSchema
    let serializer: any Serializer
    let logger: Logger
    /// The configuration's limits this table's claims enforce.
    let limits: FlowLimits
    /// This transport's claims: the key of its rows in `claimed_by` and of its lease.
    let owner: Int64
    /// The lease that keeps its claims its own while the process lives.
    let lease: PostgresLease
    /// Claims, acknowledgements, records and single sends.
    let connection: PostgresConnection
    /// Large batches outside a caller's transaction are stored in a transaction of their own, on a
    /// connection of their own (opened on first use), one batch at a time: the main connection is
    /// shared by claims and other senders, which an open transaction would turn away.
    let batchConnection: PostgresConnection
    let batchLock = AsyncLock()
    /// Long reads (queue counts, throughput over a day of records), on a connection of their own
    /// (opened on first use), so that claims, sends and lookups by id do not wait behind them.
    let statisticsConnection: PostgresConnection
    /// What this transport holds, for the reconciliation after a reconnection.
    let held: HeldClaims
    private let setUp = Mutex(false)

    /// The connections shared with the process's other transports, when it has them.
    let sharing: PostgresConnectionSharing?
    /// This table's hook on its connection (see `init`).
    private let hookKey: Int

    init(name: String, info: PostgresConnectionInfo, options: PostgresTransportOptions, serializer: any Serializer, limits: FlowLimits, logger: Logger,
         sharing: PostgresConnectionSharing?) {
        self.name = name
        self.limits = limits
        self.options = options
        self.serializer = serializer
        self.logger = logger
        self.sharing = sharing
        let schema = PostgresSchema(table: options.tableName, tracked: options.records.writesRecords, doctrineDates: serializer is SymfonySerializer)
        self.schema = schema
        let owner = Int64.random(in: 1...Int64.max)
        self.owner = owner
        let lease = PostgresLease(owner: owner, seconds: options.workerLeaseSeconds, logger: logger)
        self.lease = lease
        let held = HeldClaims()
        self.held = held
        let settings = Self.sessionSettings(options)
        connection = sharing?.acquire(info: info, settings: settings, logger: logger)
            ?? PostgresConnection(info: info, settings: settings, onConnect: [PostgresConnectionSharing.reconnectionNotice(info: info, logger: logger)])
        // After every reconnection: the lease renewed (if taken), the claims compared with the table.
        hookKey = connection.addConnectHook { connection in
            if lease.isStarted { _ = try lease.renew(on: connection) }
            try PostgresReceiver.reconcile(on: connection, schema: schema, owner: owner, held: held, logger: logger)
        }
        batchConnection = PostgresConnection(info: info, settings: settings)
        statisticsConnection = PostgresConnection(info: info, settings: settings)
    }

    /// `lock_timeout` and `statement_timeout` for this transport's statements: a statement never
    /// waits for a lock (a migration's, say) longer than the first, nor runs longer than the second.
    /// Set per session, or per transaction behind a transaction pooler.
    static func sessionSettings(_ options: PostgresTransportOptions) -> PostgresSessionSettings {
        PostgresSessionSettings(parameters: [
            .init("lock_timeout", String(options.lockTimeoutMilliseconds)), .init("statement_timeout", String(options.statementTimeoutMilliseconds)),
        ], transactionPooled: options.pooler == .transaction)
    }

    /// Lets go of the main connection: closed unless other transports of the process share it.
    func releaseConnection() async {
        connection.removeConnectHook(hookKey)
        if sharing?.release(connection) ?? true { await connection.close() }
    }

    /// Takes the lease before the first claim (see `PostgresLease`).
    func startLease() async throws {
        guard !lease.isStarted else { return }
        let (schema, owner, held, logger) = (schema, owner, held, logger)
        try await lease.start(on: connection) { connection in
            try PostgresReceiver.reconcile(on: connection, schema: schema, owner: owner, held: held, logger: logger)
        }
    }

    func setup() async throws {
        let schema = schema
        let parameters: [PostgresValue] = [.text(schema.table), .text(schema.table + "_notify"), .text(schema.table + "_dedup")]
        let present = try await connection.query(PostgresSchema.isSetUp, parameters, prepare: false)
        if present.rows.first?[0] == "t" && present.rows.first?[1] == "t" { return }
        let lockTimeout = options.lockTimeoutMilliseconds
        try await connection.transaction { connection in
            // Set-ups queue behind one another (several workers starting at once), then look again: only
            // the first creates anything, the others take no lock on tables that are in use by then.
            try connection.execute("""
                SET LOCAL lock_timeout = \(max(lockTimeout, Self.setupQueueTimeoutMilliseconds));
                SELECT pg_advisory_xact_lock(hashtext('messenger setup')); SET LOCAL lock_timeout = \(lockTimeout)
                """)
            let present = try connection.query(PostgresSchema.isSetUp, parameters, prepare: false)
            if present.rows.first?[0] != "t" { try connection.execute(schema.create) }
            if present.rows.first?[1] != "t" { try connection.execute(PostgresRecordSchema.create) }
        }
    }

    /// How long a set-up waits for the others in progress (each takes milliseconds once alone).
    static let setupQueueTimeoutMilliseconds = 60_000

    /// Auto set-up runs once per transport; after that, sending and claiming go straight to the table.
    func prepare() async throws {
        guard options.autoSetup, !setUp.withLock({ $0 }) else { return }
        try await setup()
        setUp.withLock { $0 = true }
    }

    /// The connection to write on: the caller's open transaction when it is on this database.
    func target() throws -> PostgresConnection {
        guard let transaction = PostgresTransactionContext.current else { return connection }
        guard transaction.info.databaseIdentity == connection.info.databaseIdentity else {
            throw MessengerError(.transportFailure, "transport \"\(name)\" is on \(connection.info.databaseIdentity), but the open transaction is on \(transaction.info.databaseIdentity): the message cannot be part of it")
        }
        return transaction
    }

    /// Runs `body`, saying what a lock or statement timeout means for this transport's table.
    func explainingTimeouts<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PostgresError where error.isLockTimeout {
            throw MessengerError(.transportFailure, "transport \"\(name)\": timed out after \(options.lockTimeoutMilliseconds) ms waiting for a lock on table \(schema.table): another session holds it (a migration, say); try again once it is done (lock_timeout, a transport option) [SQLSTATE 55P03]")
        } catch let error as PostgresError where error.isStatementTimeout {
            throw MessengerError(.transportFailure, "transport \"\(name)\": a statement on table \(schema.table) ran past \(options.statementTimeoutMilliseconds) ms and was cancelled (statement_timeout, a transport option) [SQLSTATE 57014]")
        }
    }

    /// An envelope from a row of `PostgresSchema.returning`.
    func envelope(from row: [String?]) -> Envelope {
        let decoded = serializer.decodeOrQuarantine(EncodedEnvelope(body: row[1] ?? "", headers: row[2] ?? ""))
        return decoded.with(TransportMessageIdStamp(row[0] ?? "?"),
                            DeliveryCountStamp(Int(row[3] ?? "0") ?? 0, abandonedStarts: Int(row[4] ?? "0") ?? 0))
            .received(availableAt: Int64(row[5] ?? "0") ?? 0, priorityAgingMilliseconds: priorityAgingMilliseconds)
    }

    /// What a priority level is worth, in milliseconds of waiting.
    var priorityAgingMilliseconds: Int64 { Int64(options.priorityAgingSeconds) * 1000 }

    /// What a row of the envelope records for flow control: its type when it is in a group or a rule
    /// limits it here.
    func flowFields(_ envelope: Envelope) -> FlowFields {
        let group = envelope.groupKey
        let controlled = limits.controls(type: envelope.messageName, queue: options.queueName, grouped: group != nil)
        return FlowFields(type: controlled ? envelope.messageName : nil, group: group)
    }

    /// Flow control of the given queues.
    func flowClaim(queues: [String]) -> PostgresFlowClaim {
        PostgresFlowClaim(schema: schema, rules: limits.startRules(forQueues: queues), queues: queues, owner: owner, held: held)
    }

    /// The record arrays of envelopes stored by this transport.
    func recordArrays(_ envelopes: [Envelope]) -> RecordArrays {
        RecordArrays(envelopes.map { (RecordedMessage($0, options: options.records), name) })
    }

    /// The claim a received envelope stands for.
    func claimOf(_ envelope: Envelope) throws -> PostgresClaim {
        guard let id = envelope.last(TransportMessageIdStamp.self).flatMap({ Int64($0.id) }) else {
            throw MessengerError(.transportFailure, "transport \"\(name)\": the envelope carries no PostgreSQL row id")
        }
        return (id, Int64(envelope.last(DeliveryCountStamp.self)?.count ?? 0))
    }
}
