import Messenger

/// The options of a `postgresql://` transport, from its DSN query and its configuration.
/// They are removed from the DSN before libpq sees it; every other query parameter goes to libpq.
public struct PostgresTransportOptions: Sendable, Equatable {
    /// The queue this transport stores into and reads (`queue_name`).
    public var queueName = "default"
    /// The table (`table_name`), shared by the queues of the database.
    public var tableName = "messenger_messages"
    /// Seconds after which a claimed message is delivered again even if its worker seems alive.
    public var redeliverTimeoutSeconds = 3600
    /// Creates the table when it is missing (`auto_setup`).
    public var autoSetup = true
    /// Wake idle workers with LISTEN/NOTIFY.
    public var useNotify = true
    /// With notifications on, the longest an idle worker waits before looking again (milliseconds):
    /// the bound on the wait of a message stored without a notification of its own (another
    /// transaction of its queue was notifying), the safety net for lost notifications and the pace of
    /// reclaiming dead workers' messages.
    public var checkDelayedIntervalMilliseconds = 1000
    /// The most messages claimed in one statement.
    public var prefetch = 500
    /// When a claim comes back full, start the next one while the worker handles it. Its messages
    /// wait claimed for at most about one batch's time; off, a worker claims only when it has room.
    public var readAhead = true
    /// The longest a statement of the transport waits for a lock (milliseconds): a session holding
    /// the table (a migration) makes a claim or a dispatch fail with a clear error instead of hanging,
    /// and a worker asked to stop exits within a few seconds.
    public var lockTimeoutMilliseconds = 2000
    /// The longest a statement of the transport may run (milliseconds).
    public var statementTimeoutMilliseconds = 30_000
    /// What a level of `PriorityStamp` is worth, in seconds of waiting (`priority_aging`).
    public var priorityAgingSeconds = 60
    /// Status records: tracking mode and retention.
    public var records = RecordOptions()
    /// What sits between the transport and the server (`pooler`): nothing, or PgBouncer in session
    /// or transaction mode. In transaction mode no statement is prepared by name, no setting outlives
    /// a transaction, and LISTEN goes only to `listen_dsn`.
    public var pooler = PostgresPooler.none
    /// A direct connection for LISTEN (`listen_dsn`): wake-ups for a transport whose own DSN goes
    /// through a transaction pooler. Nil: LISTEN on the transport's DSN unless that is pooled so.
    public var listenDSN: String?
    /// Without LISTEN (a transaction pooler and no `listen_dsn`, or `use_notify` off with a pooler),
    /// how often an idle worker looks for due messages (milliseconds, less up to a fifth at random).
    public var pollIntervalMilliseconds = 100
    /// How long a worker's claims outlive its last heartbeat (seconds, `worker_lease`): a worker
    /// renews its lease every fifth of it; claims of a worker whose lease ran out are taken back.
    public var workerLeaseSeconds = 5

    /// The option names a DSN or `options:` may use.
    public static let known: Set<String> = Set(["queue_name", "table_name", "redeliver_timeout", "priority_aging", "auto_setup", "use_notify", "check_delayed_interval", "prefetch", "read_ahead", "lock_timeout", "statement_timeout", "pooler", "listen_dsn", "poll_interval", "worker_lease"]).union(RecordOptions.known)

    /// The defaults.
    public init() {}

    /// libpq's connection parameters, which pass through to libpq.
    static let libpqParameters: Set<String> = [
        "sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "application_name", "options", "keepalives",
        "keepalives_idle", "keepalives_interval", "keepalives_count", "target_session_attrs", "client_encoding",
        "gssencmode", "channel_binding", "passfile", "host", "hostaddr", "port", "dbname", "user", "password",
    ]

    /// Reads and validates options; an unknown name or a bad value is an error naming the transport.
    public init(_ options: [String: String], transport: String) throws {
        let reader = TransportOptionReader(options, transport: transport)
        try reader.rejectUnknown(known: Self.known, passedThrough: Self.libpqParameters, scheme: "postgresql",
                                 hint: Self.known.sorted().joined(separator: ", ") + " and libpq's connection parameters")
        queueName = try reader.queueName() ?? queueName
        tableName = try reader.tableName(isValid: Self.isIdentifier, rule: "lower-case letters, digits, underscore; not starting with a digit") ?? tableName
        redeliverTimeoutSeconds = try reader.int("redeliver_timeout", in: 1...31_536_000) ?? redeliverTimeoutSeconds
        priorityAgingSeconds = try reader.int("priority_aging", in: 1...86_400) ?? priorityAgingSeconds
        autoSetup = try reader.bool("auto_setup") ?? autoSetup
        useNotify = try reader.bool("use_notify") ?? useNotify
        checkDelayedIntervalMilliseconds = try reader.int("check_delayed_interval", in: 10...3_600_000) ?? checkDelayedIntervalMilliseconds
        prefetch = try reader.int("prefetch", in: 1...10_000) ?? prefetch
        readAhead = try reader.bool("read_ahead") ?? readAhead
        lockTimeoutMilliseconds = try reader.int("lock_timeout", in: 1...3_600_000) ?? lockTimeoutMilliseconds
        statementTimeoutMilliseconds = try reader.int("statement_timeout", in: 1...86_400_000) ?? statementTimeoutMilliseconds
        records = try RecordOptions(reader)
        if let raw = options["pooler"] {
            guard let pooler = PostgresPooler(rawValue: raw) else {
                throw reader.error("pooler must be none, session or transaction, got \"\(raw)\"")
            }
            self.pooler = pooler
        }
        if let raw = options["listen_dsn"] {
            do {
                _ = try PostgresConnectionInfo(dsn: try DSN(parsing: raw))
            } catch {
                throw reader.error("listen_dsn is not a PostgreSQL DSN (\((try? DSN(parsing: raw))?.description ?? "unreadable"))")
            }
            listenDSN = raw
        }
        pollIntervalMilliseconds = try reader.int("poll_interval", in: 10...60_000) ?? pollIntervalMilliseconds
        workerLeaseSeconds = try reader.int("worker_lease", in: 2...3600) ?? workerLeaseSeconds
    }

    /// Whether LISTEN works on the transport's own DSN (no transaction pooler in between).
    var listensOnOwnConnection: Bool { pooler != .transaction }

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.count <= 50 else { return false }
        let lower = { (s: Unicode.Scalar) in ("a"..."z").contains(s) }
        return (first == "_" || lower(first)) && text.unicodeScalars.allSatisfy { $0 == "_" || lower($0) || ("0"..."9").contains($0) }
    }
}
