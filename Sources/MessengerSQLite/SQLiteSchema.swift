import Messenger

/// The SQL of a transport table: Symfony's doctrine layout, times in epoch milliseconds, plus the
/// delivery count and the claim owner, the deduplication key, and what the poison-message check
/// counts: deliveries known to have started a handler whose worker died (`abandoned_count`), and
/// whether the current claim was handed to a handler at once (`started_on_claim`).
///
/// With Doctrine's dates (a transport shared with Symfony Messenger), `created_at`, `available_at`
/// and `delivered_at` hold Doctrine's UTC text (`2026-11-28 15:41:36`), which Symfony's Doctrine
/// transport compares as text, and the times this transport works with are in `created_ms`,
/// `available_ms` and `delivered_ms`: written together by this transport, derived by triggers from
/// what Symfony writes (a Symfony claim also clears `claimed_by`: the row is no longer this side's).
struct SQLiteSchema: Sendable {
    let table: String
    /// Whether the table keeps Doctrine's text dates beside the millisecond ones.
    let doctrineDates: Bool

    init(table: String, doctrineDates: Bool = false) {
        self.table = table
        self.doctrineDates = doctrineDates
    }

    /// The columns of the times this transport reads and writes (epoch milliseconds).
    var created: String { doctrineDates ? "created_ms" : "created_at" }
    var available: String { doctrineDates ? "available_ms" : "available_at" }
    var delivered: String { doctrineDates ? "delivered_ms" : "delivered_at" }

    /// Doctrine's text of a time in epoch milliseconds (an SQL expression), rounded down, or up for a
    /// due time (never due early on Symfony's side); null stays null.
    static func doctrineText(_ milliseconds: String, roundingUp: Bool = false) -> String {
        "strftime('%Y-%m-%d %H:%M:%S', ((\(milliseconds)) + \(roundingUp ? 999 : 0)) / 1000, 'unixepoch')"
    }
    /// Epoch milliseconds of Doctrine's text (an SQL expression, UTC as Doctrine writes it).
    static func milliseconds(ofDoctrineText text: String) -> String {
        "CAST(round((julianday(\(text)) - 2440587.5) * 86400000) AS INTEGER)"
    }

    /// A SET clause giving the claim time (or NULL), in both forms with Doctrine's dates.
    func setDelivered(_ value: String) -> String {
        guard doctrineDates else { return "delivered_at = \(value)" }
        return value == "NULL" ? "delivered_ms = NULL, delivered_at = NULL" : "delivered_ms = \(value), delivered_at = \(Self.doctrineText(value))"
    }
    /// A SET clause giving the due time, in both forms with Doctrine's dates.
    func setAvailable(_ value: String) -> String {
        doctrineDates ? "available_ms = \(value), available_at = \(Self.doctrineText(value, roundingUp: true))" : "available_at = \(value)"
    }

    var create: String {
        // Doctrine's DATETIME columns, and nullable millisecond ones that its inserts leave to a trigger.
        let times = doctrineDates
            ? "created_at DATETIME NOT NULL,\n    available_at DATETIME NOT NULL,\n    delivered_at DATETIME,\n    created_ms INTEGER,\n    available_ms INTEGER,\n    delivered_ms INTEGER,"
            : "created_at INTEGER NOT NULL,\n    available_at INTEGER NOT NULL,\n    delivered_at INTEGER,"
        return """
        CREATE TABLE IF NOT EXISTS \(table) (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            body TEXT NOT NULL,
            headers TEXT NOT NULL,
            queue_name TEXT NOT NULL,
            \(times)
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
        CREATE TABLE IF NOT EXISTS messenger_worker_signals (name TEXT PRIMARY KEY, requested_at INTEGER NOT NULL);
        """
    }

    /// The index of claimed rows (made once the table has all its columns).
    var createClaimedIndex: String {
        "CREATE INDEX IF NOT EXISTS \(table)_claimed ON \(table) (queue_name, \(delivered)) WHERE \(delivered) IS NOT NULL"
    }

    var insert: String {
        let doctrine = doctrineDates
            // A message due at once is due at once on Symfony's side too; a later one never early.
            ? (columns: ", created_at, available_at", values: ", \(Self.doctrineText("?4")), \(Self.doctrineText("?5 + (CASE WHEN ?5 > ?4 THEN 999 ELSE 0 END)"))")
            : (columns: "", values: "")
        return """
        INSERT INTO \(table) (body, headers, queue_name, \(created), \(available), dedup_key, dedup_handling, message_id, flow_type, flow_group, flow_order\(doctrine.columns))
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11\(doctrine.values))
        """
    }

    /// This transport's columns that a table made by Symfony's Doctrine transport lacks (its
    /// definition for ALTER TABLE ... ADD COLUMN), the millisecond times included with Doctrine's dates.
    var columnsBeyondDoctrine: [(name: String, definition: String)] {
        (doctrineDates ? [("created_ms", "INTEGER"), ("available_ms", "INTEGER"), ("delivered_ms", "INTEGER")] : [])
            + [("delivery_count", "INTEGER NOT NULL DEFAULT 0"), ("claimed_by", "TEXT"), ("dedup_key", "TEXT"), ("dedup_handling", "INTEGER NOT NULL DEFAULT 0"),
               ("abandoned_count", "INTEGER NOT NULL DEFAULT 0"), ("started_on_claim", "INTEGER NOT NULL DEFAULT 0"), ("message_id", "TEXT"),
               ("flow_type", "TEXT"), ("flow_group", "TEXT"), ("flow_order", "INTEGER")]
    }

    /// With Doctrine's dates: rows whose dates are epoch milliseconds (a table this transport kept
    /// before, in its own form) get Doctrine's text and their millisecond columns; rows Symfony wrote
    /// before the triggers existed get their millisecond columns; the indexes on the times are made
    /// again over the millisecond columns.
    var adoptDoctrineDates: String {
        let ms = Self.milliseconds(ofDoctrineText:)
        return """
        UPDATE \(table) SET created_ms = created_at, available_ms = available_at, delivered_ms = delivered_at,
            created_at = \(Self.doctrineText("created_at")), available_at = \(Self.doctrineText("available_at", roundingUp: true)),
            delivered_at = \(Self.doctrineText("delivered_at"))
        WHERE typeof(available_at) = 'integer';
        UPDATE \(table) SET created_ms = \(ms("created_at")), available_ms = \(ms("available_at")), delivered_ms = \(ms("delivered_at"))
        WHERE available_ms IS NULL;
        DROP INDEX IF EXISTS \(table)_claimed; DROP INDEX IF EXISTS \(table)_dedup;
        DROP INDEX IF EXISTS \(table)_ready_free; DROP INDEX IF EXISTS \(table)_ready_flow;
        """
    }

    /// With Doctrine's dates: Symfony's inserts get their millisecond times; a claim by Symfony (it
    /// sets `delivered_at` alone) gets its claim time and belongs to no worker of this side, so only
    /// `redeliver_timeout` takes it back. Also the index Symfony's own claim reads.
    var doctrineTriggers: String {
        let ms = Self.milliseconds(ofDoctrineText:)
        return """
        CREATE TRIGGER IF NOT EXISTS \(table)_doctrine_insert AFTER INSERT ON \(table) WHEN NEW.available_ms IS NULL BEGIN
            UPDATE \(table) SET created_ms = \(ms("NEW.created_at")), available_ms = \(ms("NEW.available_at")), delivered_ms = \(ms("NEW.delivered_at"))
            WHERE id = NEW.id;
        END;
        CREATE TRIGGER IF NOT EXISTS \(table)_doctrine_claim AFTER UPDATE OF delivered_at ON \(table)
        WHEN NEW.delivered_ms IS OLD.delivered_ms AND NEW.delivered_at IS NOT OLD.delivered_at BEGIN
            UPDATE \(table) SET delivered_ms = \(ms("NEW.delivered_at")), claimed_by = NULL WHERE id = NEW.id;
        END;
        CREATE INDEX IF NOT EXISTS \(table)_doctrine ON \(table) (queue_name, available_at);
        """
    }

    /// The unique index over pending deduplication keys (waiting, or being handled when asked).
    var createDeduplicationIndex: String {
        "CREATE UNIQUE INDEX IF NOT EXISTS \(table)_dedup ON \(table) (queue_name, dedup_key) WHERE dedup_key IS NOT NULL AND (\(delivered) IS NULL OR dedup_handling = 1)"
    }
    var columns: String { "SELECT name FROM pragma_table_info('\(table)')" }
    /// A retried message's own claimed row stops holding its key (?1 id, ?2 queue, ?3 key).
    var releaseOwnKey: String {
        "UPDATE \(table) SET dedup_key = NULL WHERE id = ?1 AND queue_name = ?2 AND dedup_key = ?3 AND \(delivered) IS NOT NULL"
    }
    /// The pending message holding a key: id, whether it waits, its public id, due and creation times.
    var pendingWithKey: String {
        "SELECT id, \(delivered) IS NULL, message_id, \(available), \(created) FROM \(table) WHERE queue_name = ?1 AND dedup_key = ?2 AND (\(delivered) IS NULL OR dedup_handling = 1) LIMIT 1"
    }
    var moveDueTime: String { "UPDATE \(table) SET \(setAvailable("?2")) WHERE id = ?1" }
    /// A released row whose key a newer waiting message holds: that message stands for it.
    var deleteSupersededClaim: String {
        """
        DELETE FROM \(table) WHERE id = ?1 AND claimed_by = ?2 AND delivery_count = ?3 AND dedup_key IS NOT NULL
        AND EXISTS (SELECT 1 FROM \(table) o WHERE o.queue_name = \(table).queue_name AND o.dedup_key = \(table).dedup_key AND o.id <> \(table).id AND o.\(delivered) IS NULL)
        RETURNING message_id
        """
    }

    /// What a claim or a read returns: id, body, headers, delivery count, due time, abandoned starts, public id.
    var returning: String { "id, body, headers, delivery_count, \(available), abandoned_count, message_id" }

    /// Rows of paused queues are not claimed.
    static let notPaused = "queue_name NOT IN (SELECT queue_name FROM messenger_paused_queues)"

    /// Claims up to ?3 due, free rows (none under flow control) of the given queues (?4...), oldest
    /// due first.
    func claimReady(queueCount: Int) -> String {
        let queues = (0..<queueCount).map { "?\($0 + 4)" }.joined(separator: ", ")
        return """
        UPDATE \(table) SET \(setDelivered("?1")), delivery_count = delivery_count + 1, claimed_by = ?2, started_on_claim = 0
        WHERE id IN (
            SELECT id FROM \(table) WHERE queue_name IN (\(queues)) AND \(delivered) IS NULL AND \(available) <= ?1 AND flow_type IS NULL
            AND \(Self.notPaused) ORDER BY \(available), id LIMIT ?3
        )
        RETURNING \(returning)
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
        UPDATE \(table) SET \(setDelivered("?1")), delivery_count = delivery_count + 1, claimed_by = ?2,
            abandoned_count = abandoned_count + started_on_claim, started_on_claim = 1
        WHERE id = (
            SELECT id FROM \(table) WHERE queue_name IN (\(queues)) AND \(delivered) IS NOT NULL AND \(Self.notPaused)
            AND (\(delivered) <= ?3 OR substr(claimed_by, 1, 36) IN (
                SELECT id FROM messenger_workers WHERE stopped_at IS NOT NULL OR heartbeat_at < ?1 - \(Self.goneAfterMilliseconds)))
            ORDER BY \(delivered) LIMIT 1
        )
        RETURNING \(returning)
        """
    }

    static let goneAfterMilliseconds = Int64(WorkerHeartbeat.goneAfter.seconds * 1000)

    /// Marks the row a worker starts as soon as it receives its batch (?1 id, ?2 owner).
    var markStartedOnClaim: String { "UPDATE \(table) SET started_on_claim = 1 WHERE id = ?1 AND claimed_by = ?2" }

    /// Claims one stored row by id (?1 id, ?2 queue, ?3 now, ?4 owner) unless a live claim holds it
    /// (one made after ?5). An operator's retry is not counted against the poison-message check.
    var claimById: String {
        """
        UPDATE \(table) SET \(setDelivered("?3")), delivery_count = delivery_count + 1, claimed_by = ?4, started_on_claim = 1
        WHERE id = ?1 AND queue_name = ?2 AND (\(delivered) IS NULL OR \(delivered) <= ?5)
        RETURNING \(returning)
        """
    }
    /// Removes one stored row by id (?1 id, ?2 queue) unless a live claim holds it (made after ?3).
    var removeById: String { "DELETE FROM \(table) WHERE id = ?1 AND queue_name = ?2 AND (\(delivered) IS NULL OR \(delivered) <= ?3) RETURNING message_id" }
    /// Removes a waiting row for a cancellation (?1 row id, ?2 public id); returns it when removed.
    var removeWaiting: String { "DELETE FROM \(table) WHERE id = ?1 AND message_id = ?2 AND \(delivered) IS NULL RETURNING id" }
    var exists: String { "SELECT 1 FROM \(table) WHERE id = ?1 AND queue_name = ?2" }

    /// Deletes a row only if it is still held by this claim (a late ack cannot delete a re-claimed row).
    var deleteClaimed: String { "DELETE FROM \(table) WHERE id = ?1 AND claimed_by = ?2 AND delivery_count = ?3" }
    var keepalive: String { "UPDATE \(table) SET \(setDelivered("?4")) WHERE id = ?1 AND claimed_by = ?2 AND delivery_count = ?3" }
    var release: String {
        "UPDATE \(table) SET \(setDelivered("NULL")), claimed_by = NULL, delivery_count = delivery_count - 1 WHERE id = ?1 AND claimed_by = ?2 AND delivery_count = ?3"
    }
    var list: String { "SELECT \(returning) FROM \(table) WHERE queue_name = ?1 ORDER BY id LIMIT ?2" }
    var find: String { "SELECT \(returning) FROM \(table) WHERE queue_name = ?1 AND id = ?2" }
    /// Counts that read only the queue's index entries (the two ready indexes hold every waiting row,
    /// free or under flow control; the claimed index every claimed one), and the creation time of its
    /// first row: ?1 queue, ?2 now.
    var indexedStatistics: String {
        func waiting(_ comparison: String) -> String {
            ["IS NULL", "IS NOT NULL"].map {
                "(SELECT count(*) FROM \(table) WHERE queue_name = ?1 AND \(delivered) IS NULL AND flow_type \($0) AND \(available) \(comparison) ?2)"
            }.joined(separator: " + ")
        }
        return """
        SELECT \(waiting("<=")),
               \(waiting(">")),
               (SELECT count(*) FROM \(table) WHERE queue_name = ?1 AND \(delivered) IS NOT NULL),
               (SELECT \(created) FROM \(table) WHERE queue_name = ?1 ORDER BY id LIMIT 1)
        """
    }
    static let requestStop = "INSERT INTO messenger_worker_signals (name, requested_at) VALUES ('stop', ?1) ON CONFLICT (name) DO UPDATE SET requested_at = excluded.requested_at"
    static let lastStop = "SELECT requested_at FROM messenger_worker_signals WHERE name = 'stop'"
}
