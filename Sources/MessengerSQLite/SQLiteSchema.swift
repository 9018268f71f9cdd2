/// The SQL of a transport table: Symfony's doctrine layout, times in epoch milliseconds, plus the
/// delivery count and the claim owner.
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
            dedup_handling INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS \(table)_ready ON \(table) (queue_name, available_at, id) WHERE delivered_at IS NULL;
        CREATE INDEX IF NOT EXISTS \(table)_claimed ON \(table) (queue_name, delivered_at) WHERE delivered_at IS NOT NULL;
        CREATE TABLE IF NOT EXISTS messenger_worker_signals (name TEXT PRIMARY KEY, requested_at INTEGER NOT NULL);
        """
    }

    var insert: String {
        "INSERT INTO \(table) (body, headers, queue_name, created_at, available_at, dedup_key, dedup_handling) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    }

    /// Tables made before deduplication get its columns; every table gets its unique index over
    /// pending keys (waiting, or being handled when asked).
    var addDeduplicationColumns: String {
        "ALTER TABLE \(table) ADD COLUMN dedup_key TEXT; ALTER TABLE \(table) ADD COLUMN dedup_handling INTEGER NOT NULL DEFAULT 0;"
    }
    var createDeduplicationIndex: String {
        "CREATE UNIQUE INDEX IF NOT EXISTS \(table)_dedup ON \(table) (queue_name, dedup_key) WHERE dedup_key IS NOT NULL AND (delivered_at IS NULL OR dedup_handling = 1)"
    }
    var columns: String { "SELECT name FROM pragma_table_info('\(table)')" }
    /// A retried message's own claimed row stops holding its key (?1 id, ?2 queue, ?3 key).
    var releaseOwnKey: String {
        "UPDATE \(table) SET dedup_key = NULL WHERE id = ?1 AND queue_name = ?2 AND dedup_key = ?3 AND delivered_at IS NOT NULL"
    }
    /// The pending message holding a key: id and whether it waits.
    var pendingWithKey: String {
        "SELECT id, delivered_at IS NULL FROM \(table) WHERE queue_name = ?1 AND dedup_key = ?2 AND (delivered_at IS NULL OR dedup_handling = 1) LIMIT 1"
    }
    var moveDueTime: String { "UPDATE \(table) SET available_at = ?2 WHERE id = ?1" }
    /// A released row whose key a newer waiting message holds: that message stands for it.
    var deleteSupersededClaim: String {
        """
        DELETE FROM \(table) WHERE id = ?1 AND claimed_by = ?2 AND delivery_count = ?3 AND dedup_key IS NOT NULL
        AND EXISTS (SELECT 1 FROM \(table) o WHERE o.queue_name = \(table).queue_name AND o.dedup_key = \(table).dedup_key AND o.id <> \(table).id AND o.delivered_at IS NULL)
        """
    }

    /// Claims up to ?4 rows of the given queues: due and free, or claimed before ?3 (owner presumed dead).
    func claim(queueCount: Int) -> String {
        let queues = (0..<queueCount).map { "?\($0 + 5)" }.joined(separator: ", ")
        return """
        UPDATE \(table) SET delivered_at = ?1, delivery_count = delivery_count + 1, claimed_by = ?2
        WHERE id IN (
            SELECT id FROM (
                SELECT * FROM (SELECT id, available_at FROM \(table)
                    WHERE queue_name IN (\(queues)) AND delivered_at IS NULL AND available_at <= ?1
                    ORDER BY available_at, id LIMIT ?4)
                UNION ALL
                SELECT * FROM (SELECT id, available_at FROM \(table)
                    WHERE queue_name IN (\(queues)) AND delivered_at IS NOT NULL AND delivered_at <= ?3
                    ORDER BY delivered_at LIMIT ?4)
            ) ORDER BY available_at, id LIMIT ?4
        )
        RETURNING id, body, headers, delivery_count, available_at
        """
    }

    /// Deletes a row only if it is still held by this claim (a late ack cannot delete a re-claimed row).
    var deleteClaimed: String { "DELETE FROM \(table) WHERE id = ?1 AND claimed_by = ?2 AND delivery_count = ?3" }
    var keepalive: String { "UPDATE \(table) SET delivered_at = ?4 WHERE id = ?1 AND claimed_by = ?2 AND delivery_count = ?3" }
    var release: String {
        "UPDATE \(table) SET delivered_at = NULL, claimed_by = NULL, delivery_count = delivery_count - 1 WHERE id = ?1 AND claimed_by = ?2 AND delivery_count = ?3"
    }
    var list: String { "SELECT id, body, headers, delivery_count, available_at FROM \(table) WHERE queue_name = ?1 ORDER BY id LIMIT ?2" }
    var find: String { "SELECT id, body, headers, delivery_count, available_at FROM \(table) WHERE queue_name = ?1 AND id = ?2" }
    var remove: String { "DELETE FROM \(table) WHERE queue_name = ?1 AND id = ?2" }
    var statistics: String {
        """
        SELECT count(*),
               coalesce(sum(delivered_at IS NULL AND available_at <= ?2), 0),
               coalesce(sum(delivered_at IS NULL AND available_at > ?2), 0),
               coalesce(sum(delivered_at IS NOT NULL), 0),
               min(created_at)
        FROM \(table) WHERE queue_name = ?1
        """
    }
    static let requestStop = "INSERT INTO messenger_worker_signals (name, requested_at) VALUES ('stop', ?1) ON CONFLICT (name) DO UPDATE SET requested_at = excluded.requested_at"
    static let lastStop = "SELECT requested_at FROM messenger_worker_signals WHERE name = 'stop'"
}
