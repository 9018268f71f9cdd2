import Messenger

/// The SQL of the status records, worker records and paused queues that the transports of one
/// SQLite file share (`messenger_records`, `messenger_workers`, `messenger_paused_queues`); times in
/// epoch milliseconds.
enum SQLiteRecordSchema {
    static let create = """
        CREATE TABLE IF NOT EXISTS messenger_records (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            transport TEXT NOT NULL,
            queue_name TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            available_at INTEGER NOT NULL,
            started_at INTEGER,
            finished_at INTEGER,
            worker_id TEXT,
            progress REAL,
            progress_note TEXT,
            result TEXT,
            error_type TEXT,
            error_message TEXT,
            error_handler TEXT,
            origin TEXT,
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            row_id INTEGER,
            body TEXT
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS messenger_records_created ON messenger_records (created_at, id);
        CREATE INDEX IF NOT EXISTS messenger_records_status ON messenger_records (status, created_at, id);
        CREATE INDEX IF NOT EXISTS messenger_records_type ON messenger_records (type, created_at, id);
        CREATE TABLE IF NOT EXISTS messenger_credentials (
            kind TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL, secret TEXT NOT NULL,
            created_at INTEGER NOT NULL, expires_at INTEGER, PRIMARY KEY (kind, key)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS messenger_workers (
            id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, receivers TEXT NOT NULL,
            started_at INTEGER NOT NULL, heartbeat_at INTEGER NOT NULL, stopped_at INTEGER,
            in_hand INTEGER NOT NULL DEFAULT 0, handled INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS messenger_paused_queues (queue_name TEXT PRIMARY KEY, paused_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS messenger_throughput (
            minute INTEGER NOT NULL, worker_id TEXT NOT NULL, completed INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (minute, worker_id)
        ) WITHOUT ROWID;
        """

    static let columns = """
        id, type, transport, queue_name, status, attempts, created_at, available_at, started_at, finished_at, worker_id, progress, \
        progress_note, result, error_type, error_message, error_handler, origin, cancel_requested, row_id, body
        """

    /// A message stored: its record made, or brought up to date for a retry or a parked copy
    /// (?1 id, ?2 type, ?3 transport, ?4 queue, ?5 status, ?6 created, ?7 available, ?8 error type,
    /// ?9 error text, ?10 error handler, ?11 origin, ?12 row id, ?13 body, ?14 attempts so far).
    static let upsert = """
        INSERT INTO messenger_records (id, type, transport, queue_name, status, created_at, available_at, error_type, error_message,
            error_handler, origin, row_id, body, attempts)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, coalesce(?14, 0))
        ON CONFLICT (id) DO UPDATE SET transport = excluded.transport, queue_name = excluded.queue_name, status = excluded.status,
            attempts = max(attempts, excluded.attempts),
            available_at = excluded.available_at, row_id = excluded.row_id, body = excluded.body,
            finished_at = CASE WHEN excluded.status = 'failed' THEN excluded.created_at END,
            error_type = coalesce(excluded.error_type, error_type), error_message = coalesce(excluded.error_message, error_message),
            error_handler = coalesce(excluded.error_handler, error_handler), progress = NULL, progress_note = NULL, cancel_requested = 0
        """

    /// An attempt started (?1 id, ?2 attempt, ?3 start, ?4 worker id), written by the worker's
    /// heartbeat: only a waiting record becomes `running`.
    static let recordStart = """
        UPDATE messenger_records SET status = 'running', attempts = ?2, started_at = ?3, finished_at = NULL, worker_id = ?4
        WHERE id = ?1 AND status IN ('queued', 'scheduled', 'retrying')
        """

    /// A claim by id (?1 id, ?2 now, ?3 worker id): a new attempt starts.
    static let started = """
        UPDATE messenger_records SET status = 'running', attempts = attempts + 1, started_at = ?2, finished_at = NULL, worker_id = ?3,
            progress = NULL, progress_note = NULL WHERE id = ?1
        """

    /// An acknowledgement (?1 id, ?2 status, ?3 now, ?4 result, ?5 error type, ?6 error text, ?7 error handler,
    /// ?8 attempt, ?9 its start, ?10 its worker).
    static let finished = """
        UPDATE messenger_records SET status = ?2, finished_at = ?3, result = ?4, row_id = NULL, attempts = coalesce(?8, attempts),
            started_at = coalesce(?9, started_at), worker_id = coalesce(?10, worker_id),
            error_type = coalesce(?5, error_type), error_message = coalesce(?6, error_message), error_handler = coalesce(?7, error_handler)
        WHERE id = ?1
        """

    /// A waiting message's due time moved by a debounced dispatch (?1 id, ?2 due, ?3 status).
    static let debounced = "UPDATE messenger_records SET available_at = ?2, status = ?3 WHERE id = ?1 AND status IN ('queued', 'scheduled')"

    /// A claim given back (?1 id, ?2 now): waiting again.
    static let released = """
        UPDATE messenger_records SET status = CASE WHEN available_at > ?2 THEN 'scheduled' ELSE 'queued' END WHERE id = ?1 AND status = 'running'
        """

    /// A waiting message removed by an operator or superseded (?1 id, ?2 now, ?3 why).
    static let cancelled = """
        UPDATE messenger_records SET status = 'cancelled', finished_at = ?2, row_id = NULL, error_message = coalesce(?3, error_message) WHERE id = ?1
        """

    static let find = "SELECT \(columns) FROM messenger_records WHERE id = ?1"
    static let requestCancel = "UPDATE messenger_records SET cancel_requested = 1 WHERE id = ?1"
    static let progress = "UPDATE messenger_records SET progress = ?2, progress_note = ?3 WHERE id = ?1 AND status = 'running'"

    /// The cancellations asked among running messages (?1: a JSON array of ids).
    static let cancellationRequests = "SELECT id FROM messenger_records WHERE id IN (SELECT value FROM json_each(?1)) AND cancel_requested = 1"

    /// A page, newest first, filtered as the query says; continues after its cursor.
    static func page(_ query: MessageRecordQuery) -> (sql: String, bindings: [SQLiteValue]) {
        var conditions: [String] = []
        var bindings: [SQLiteValue] = []
        func bind(_ value: SQLiteValue) -> String {
            bindings.append(value)
            return "?\(bindings.count)"
        }
        if let status = query.status { conditions.append("status = " + bind(.text(status.rawValue))) }
        if let type = query.type { conditions.append("type = " + bind(.text(type))) }
        if let queue = query.queue { conditions.append("queue_name = " + bind(.text(queue))) }
        if let since = query.since { conditions.append("created_at >= " + bind(.integer(SQLiteTable.milliseconds(since)))) }
        if let search = query.search { conditions.append("instr(body, \(bind(.text(search)))) > 0") }
        if let after = query.after {
            let at = bind(.integer(after.createdAtMilliseconds))
            conditions.append("(created_at < \(at) OR (created_at = \(at) AND id < \(bind(.text(after.id)))))")
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let limit = bind(.integer(Int64(max(1, min(query.limit, 1000)))))
        return ("SELECT \(columns) FROM messenger_records \(filter) ORDER BY created_at DESC, id DESC LIMIT \(limit)", bindings)
    }

    /// Finished records of transport ?1 with status ?2 finished before ?3, at most ?4. A record
    /// finishes after it is created, so the (status, created_at) index bounds the search.
    static let pruneByAge = """
        DELETE FROM messenger_records WHERE id IN (
            SELECT id FROM messenger_records WHERE status = ?2 AND created_at < ?3 AND finished_at < ?3 AND transport = ?1 AND queue_name = ?5 LIMIT ?4)
        """
    /// Transport ?1's newest completed record beyond the ?2 newest ones: its creation time and id.
    static let countThreshold = """
        SELECT created_at, id FROM messenger_records WHERE status = 'completed' AND transport = ?1 AND queue_name = ?3
        ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?2
        """
    /// Transport ?1's completed records at or before (?2, ?3), at most ?4.
    static let pruneByCount = """
        DELETE FROM messenger_records WHERE id IN (
            SELECT id FROM messenger_records WHERE status = 'completed' AND (created_at, id) <= (?2, ?3) AND transport = ?1 AND queue_name = ?5 LIMIT ?4)
        """

    static let heartbeat = """
        INSERT INTO messenger_workers (id, host, pid, receivers, started_at, heartbeat_at, stopped_at, in_hand, handled, failed)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
        ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, stopped_at = excluded.stopped_at, in_hand = excluded.in_hand,
            handled = excluded.handled, failed = excluded.failed, receivers = excluded.receivers
        """
    static let workers = "SELECT id, host, pid, receivers, started_at, heartbeat_at, stopped_at, in_hand, handled, failed FROM messenger_workers ORDER BY started_at DESC"
    static let forgetWorkers = "DELETE FROM messenger_workers WHERE coalesce(stopped_at, heartbeat_at) < ?1"
    static let pause = "INSERT INTO messenger_paused_queues (queue_name, paused_at) VALUES (?1, ?2) ON CONFLICT (queue_name) DO NOTHING"
    static let resume = "DELETE FROM messenger_paused_queues WHERE queue_name = ?1"
    static let paused = "SELECT queue_name FROM messenger_paused_queues"

    /// Finished records among the JSON array ?1 deleted (a waiting or running one stays).
    static let forget = """
        DELETE FROM messenger_records WHERE id IN (SELECT value FROM json_each(?1)) AND status IN ('completed', 'failed', 'cancelled')
        """
    /// Completed and failed records created and finished since ?1 (ms), counted by bucket of ?2 ms.
    /// A worker's attempts since its previous heartbeat, added to its row of the current minute
    /// (?1 worker id, ?2 heartbeat time, ?3 handled, ?4 failed, totals since it started); run before
    /// the heartbeat itself, which stores the new totals.
    static let countThroughput = """
        INSERT INTO messenger_throughput (minute, worker_id, completed, failed)
        SELECT ?2 / 60000 * 60000, ?1, (?3 - ?4) - coalesce(w.handled - w.failed, 0), ?4 - coalesce(w.failed, 0)
        FROM (SELECT 1) LEFT JOIN messenger_workers w ON w.id = ?1
        WHERE ?3 > coalesce(w.handled, 0)
        ON CONFLICT (minute, worker_id) DO UPDATE SET completed = completed + excluded.completed, failed = failed + excluded.failed
        """
    /// Attempts finished per bucket of ?2 ms since ?1 (a minute boundary), from the workers' rows.
    static let finishedCounts = """
        SELECT minute / ?2 * ?2 AS bucket, sum(completed), sum(failed) FROM messenger_throughput WHERE minute >= ?1 GROUP BY bucket
        """
    static let forgetThroughput = "DELETE FROM messenger_throughput WHERE minute < ?1"
    /// Wait and run times (ms) of the newest ?1 records of each finished status.
    static let recentTimings = """
        SELECT started_at - available_at, finished_at - started_at FROM (
            SELECT * FROM (SELECT available_at, started_at, finished_at FROM messenger_records WHERE status = 'completed' ORDER BY created_at DESC, id DESC LIMIT ?1)
            UNION ALL SELECT * FROM (SELECT available_at, started_at, finished_at FROM messenger_records WHERE status = 'failed' ORDER BY created_at DESC, id DESC LIMIT ?1))
        WHERE started_at IS NOT NULL AND finished_at IS NOT NULL
        """

    static let saveCredential = """
        INSERT INTO messenger_credentials (kind, key, name, role, secret, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
        ON CONFLICT (kind, key) DO UPDATE SET name = excluded.name, role = excluded.role, secret = excluded.secret,
            created_at = excluded.created_at, expires_at = excluded.expires_at
        """
    static let credentialColumns = "kind, key, name, role, secret, created_at, expires_at"
    static let credential = """
        SELECT \(credentialColumns) FROM messenger_credentials WHERE kind = ?1 AND key = ?2 AND (expires_at IS NULL OR expires_at > ?3)
        """
    static let credentials = """
        SELECT \(credentialColumns) FROM messenger_credentials WHERE kind = ?1 AND (expires_at IS NULL OR expires_at > ?2) ORDER BY name, created_at
        """
    static let deleteExpiredCredentials = "DELETE FROM messenger_credentials WHERE expires_at <= ?1"
    static let deleteCredential = "DELETE FROM messenger_credentials WHERE kind = ?1 AND key = ?2"
}
