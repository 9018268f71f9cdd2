import Messenger

/// The SQL of a transport table: Symfony's doctrine layout, times in epoch milliseconds, plus the
/// delivery count and the claim owner, the deduplication key, and what the poison-message check
/// counts: deliveries known to have started a handler whose worker died (`abandoned_count`), and
/// whether the current claim was handed to a handler at once (`started_on_claim`).
struct SQLiteSchema: Sendable {
    let table: String

    var create: String {
        """
        CREATE TABLE IF NOT EXISTS \(table) (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            body TEXT NOT NULL,
            headers TEXT NOT NULL,
            queue_name TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            available_at INTEGER NOT NULL,
            delivered_at INTEGER,
            delivery_count INTEGER NOT NULL DEFAULT 0,
            claimed_by TEXT,
            dedup_key TEXT,
            dedup_handling INTEGER NOT NULL DEFAULT 0,
            abandoned_count INTEGER NOT NULL DEFAULT 0,
            started_on_claim INTEGER NOT NULL DEFAULT 0,
            message_id TEXT,
            flow_type TEXT,
            flow_group TEXT,
            flow_order INTEGER
        );
        CREATE INDEX IF NOT EXISTS \(table)_claimed ON \(table) (queue_name, delivered_at) WHERE delivered_at IS NOT NULL;
        CREATE TABLE IF NOT EXISTS messenger_worker_signals (name TEXT PRIMARY KEY, requested_at INTEGER NOT NULL);
        """
    }

    var insert: String {
        """
        INSERT INTO \(table) (body, headers, queue_name, created_at, available_at, dedup_key, dedup_handling, message_id, flow_type, flow_group, flow_order)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
        """
    }

    /// Tables made before deduplication get its columns; every table gets its unique index over
    /// pending keys (waiting, or being handled when asked).
    var addDeduplicationColumns: String {
        "ALTER TABLE \(table) ADD COLUMN dedup_key TEXT; ALTER TABLE \(table) ADD COLUMN dedup_handling INTEGER NOT NULL DEFAULT 0;"
    }
    /// Tables made before the poison-message check counted started deliveries get its columns.
    var addAbandonedColumns: String {
        "ALTER TABLE \(table) ADD COLUMN abandoned_count INTEGER NOT NULL DEFAULT 0; ALTER TABLE \(table) ADD COLUMN started_on_claim INTEGER NOT NULL DEFAULT 0;"
    }
    /// Tables made before status records get the public id column.
    var addMessageIdColumn: String { "ALTER TABLE \(table) ADD COLUMN message_id TEXT" }
    var createDeduplicationIndex: String {
        "CREATE UNIQUE INDEX IF NOT EXISTS \(table)_dedup ON \(table) (queue_name, dedup_key) WHERE dedup_key IS NOT NULL AND (delivered_at IS NULL OR dedup_handling = 1)"
    }
    var columns: String { "SELECT name FROM pragma_table_info('\(table)')" }
    /// A retried message's own claimed row stops holding its key (?1 id, ?2 queue, ?3 key).
    var releaseOwnKey: String {
        "UPDATE \(table) SET dedup_key = NULL WHERE id = ?1 AND queue_name = ?2 AND dedup_key = ?3 AND delivered_at IS NOT NULL"
    }
    /// The pending message holding a key: id, whether it waits, its public id, due and creation times.
    var pendingWithKey: String {
        "SELECT id, delivered_at IS NULL, message_id, available_at, created_at FROM \(table) WHERE queue_name = ?1 AND dedup_key = ?2 AND (delivered_at IS NULL OR dedup_handling = 1) LIMIT 1"
    }
    var moveDueTime: String { "UPDATE \(table) SET available_at = ?2 WHERE id = ?1" }
    /// A released row whose key a newer waiting message holds: that message stands for it.
    var deleteSupersededClaim: String {
        """
        DELETE FROM \(table) WHERE id = ?1 AND claimed_by = ?2 AND delivery_count = ?3 AND dedup_key IS NOT NULL
        AND EXISTS (SELECT 1 FROM \(table) o WHERE o.queue_name = \(table).queue_name AND o.dedup_key = \(table).dedup_key AND o.id <> \(table).id AND o.delivered_at IS NULL)
        RETURNING message_id
        """
    }

    static let returning = "id, body, headers, delivery_count, available_at, abandoned_count, message_id"

    /// Rows of paused queues are not claimed.
    static let notPaused = "queue_name NOT IN (SELECT queue_name FROM messenger_paused_queues)"

    /// Claims up to ?3 due, free rows (none under flow control) of the given queues (?4...), oldest
    /// due first.
    func claimReady(queueCount: Int) -> String {
        let queues = (0..<queueCount).map { "?\($0 + 4)" }.joined(separator: ", ")
        return """
        UPDATE \(table) SET delivered_at = ?1, delivery_count = delivery_count + 1, claimed_by = ?2, started_on_claim = 0
        WHERE id IN (
            SELECT id FROM \(table) WHERE queue_name IN (\(queues)) AND delivered_at IS NULL AND available_at <= ?1 AND flow_type IS NULL
            AND \(Self.notPaused) ORDER BY available_at, id LIMIT ?3
        )
        RETURNING \(Self.returning)
        """
    }

    /// Claims one row of the given queues (?4...) whose worker is presumed dead: claimed before ?3
    /// (`redeliver_timeout`), or by a worker whose record stopped or has not been renewed for
    /// `WorkerHeartbeat.goneAfter` (a claim's owner is the worker's id, a slash, the transport's own
    /// suffix). Handed to a handler at once, so its start is certain. The previous delivery counts as
    /// abandoned if it was certain to have started too.
    func claimRecovered(queueCount: Int) -> String {
        let queues = (0..<queueCount).map { "?\($0 + 4)" }.joined(separator: ", ")
        return """
        UPDATE \(table) SET delivered_at = ?1, delivery_count = delivery_count + 1, claimed_by = ?2,
            abandoned_count = abandoned_count + started_on_claim, started_on_claim = 1
        WHERE id = (
            SELECT id FROM \(table) WHERE queue_name IN (\(queues)) AND delivered_at IS NOT NULL AND \(Self.notPaused)
            AND (delivered_at <= ?3 OR substr(claimed_by, 1, 36) IN (
                SELECT id FROM messenger_workers WHERE stopped_at IS NOT NULL OR heartbeat_at < ?1 - \(Self.goneAfterMilliseconds)))
            ORDER BY delivered_at LIMIT 1
        )
        RETURNING \(Self.returning)
        """
    }

    static let goneAfterMilliseconds = Int64(WorkerHeartbeat.goneAfter.seconds * 1000)

    /// Marks the row a worker starts as soon as it receives its batch (?1 id, ?2 owner).
    var markStartedOnClaim: String { "UPDATE \(table) SET started_on_claim = 1 WHERE id = ?1 AND claimed_by = ?2" }

    /// Claims one stored row by id (?1 id, ?2 queue, ?3 now, ?4 owner) unless a live claim holds it
    /// (one made after ?5). An operator's retry is not counted against the poison-message check.
    var claimById: String {
        """
        UPDATE \(table) SET delivered_at = ?3, delivery_count = delivery_count + 1, claimed_by = ?4, started_on_claim = 1
        WHERE id = ?1 AND queue_name = ?2 AND (delivered_at IS NULL OR delivered_at <= ?5)
        RETURNING \(Self.returning)
        """
    }
    /// Removes one stored row by id (?1 id, ?2 queue) unless a live claim holds it (made after ?3).
    var removeById: String { "DELETE FROM \(table) WHERE id = ?1 AND queue_name = ?2 AND (delivered_at IS NULL OR delivered_at <= ?3) RETURNING message_id" }
    /// Removes a waiting row for a cancellation (?1 row id, ?2 public id); returns it when removed.
    var removeWaiting: String { "DELETE FROM \(table) WHERE id = ?1 AND message_id = ?2 AND delivered_at IS NULL RETURNING id" }
    var exists: String { "SELECT 1 FROM \(table) WHERE id = ?1 AND queue_name = ?2" }

    /// Deletes a row only if it is still held by this claim (a late ack cannot delete a re-claimed row).
    var deleteClaimed: String { "DELETE FROM \(table) WHERE id = ?1 AND claimed_by = ?2 AND delivery_count = ?3" }
    var keepalive: String { "UPDATE \(table) SET delivered_at = ?4 WHERE id = ?1 AND claimed_by = ?2 AND delivery_count = ?3" }
    var release: String {
        "UPDATE \(table) SET delivered_at = NULL, claimed_by = NULL, delivery_count = delivery_count - 1 WHERE id = ?1 AND claimed_by = ?2 AND delivery_count = ?3"
    }
    var list: String { "SELECT \(Self.returning) FROM \(table) WHERE queue_name = ?1 ORDER BY id LIMIT ?2" }
    var find: String { "SELECT \(Self.returning) FROM \(table) WHERE queue_name = ?1 AND id = ?2" }
    /// Counts that read only the queue's index entries (the two ready indexes hold every waiting row,
    /// free or under flow control; the claimed index every claimed one), and the creation time of its
    /// first row: ?1 queue, ?2 now.
    var indexedStatistics: String {
        func waiting(_ comparison: String) -> String {
            ["IS NULL", "IS NOT NULL"].map {
                "(SELECT count(*) FROM \(table) WHERE queue_name = ?1 AND delivered_at IS NULL AND flow_type \($0) AND available_at \(comparison) ?2)"
            }.joined(separator: " + ")
        }
        return """
        SELECT \(waiting("<=")),
               \(waiting(">")),
               (SELECT count(*) FROM \(table) WHERE queue_name = ?1 AND delivered_at IS NOT NULL),
               (SELECT created_at FROM \(table) WHERE queue_name = ?1 ORDER BY id LIMIT 1)
        """
    }
    static let requestStop = "INSERT INTO messenger_worker_signals (name, requested_at) VALUES ('stop', ?1) ON CONFLICT (name) DO UPDATE SET requested_at = excluded.requested_at"
    static let lastStop = "SELECT requested_at FROM messenger_worker_signals WHERE name = 'stop'"
}
