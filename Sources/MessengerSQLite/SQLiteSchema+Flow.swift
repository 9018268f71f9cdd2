import Messenger

/// The SQL of flow control (`limits:` and ordered groups) on an SQLite transport table. A row under
/// flow control carries its wire type in `flow_type` (null: a free row, claimed by the plain claim),
/// its group in `flow_group`, and, for a retry that holds its group's place, the order it keeps in
/// `flow_order` (else its id orders it).
extension SQLiteSchema {
    /// Free rows and rows under flow control are read through indexes of their own, so that neither
    /// claim walks past the other's rows (each waiting row is in one of them: they replace the single
    /// ready index of earlier versions, so a send still writes one ready entry); a group's head is
    /// found by its order.
    var createFlowIndexes: String {
        """
        CREATE INDEX IF NOT EXISTS \(table)_ready_free ON \(table) (queue_name, \(available), id) WHERE \(delivered) IS NULL AND flow_type IS NULL;
        CREATE INDEX IF NOT EXISTS \(table)_ready_flow ON \(table) (queue_name, \(available), id) WHERE \(delivered) IS NULL AND flow_type IS NOT NULL;
        DROP INDEX IF EXISTS \(table)_ready;
        CREATE INDEX IF NOT EXISTS \(table)_groups ON \(table) (queue_name, flow_group, coalesce(flow_order, id)) WHERE flow_group IS NOT NULL;
        CREATE TABLE IF NOT EXISTS messenger_rate_limits (name TEXT PRIMARY KEY, tokens REAL NOT NULL, updated_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS messenger_flow_rules (table_name TEXT PRIMARY KEY, controlled TEXT NOT NULL);
        """
    }

    /// The rules' keys the table's waiting rows were last brought under (?1 table).
    static let adoptedRules = "SELECT controlled FROM messenger_flow_rules WHERE table_name = ?1"
    static let recordAdoptedRules = """
        INSERT INTO messenger_flow_rules (table_name, controlled) VALUES (?1, ?2) ON CONFLICT (table_name) DO UPDATE SET controlled = excluded.controlled
        """

    /// Waiting free rows that `conditions` (on the type in their headers) now put under flow control.
    func adopt(_ conditions: String) -> String {
        "UPDATE \(table) SET flow_type = json_extract(headers, '$.type') WHERE \(delivered) IS NULL AND flow_type IS NULL AND (\(conditions))"
    }

    /// No earlier message of the row's group (`m`) is still stored: waiting, running or waiting for
    /// its retry.
    static func groupHead(_ table: String) -> String {
        """
        (m.flow_group IS NULL OR NOT EXISTS (SELECT 1 FROM \(table) o WHERE o.queue_name = m.queue_name AND o.flow_group = m.flow_group
            AND coalesce(o.flow_order, o.id) < coalesce(m.flow_order, m.id)))
        """
    }

    /// The running messages each condition matches (one column per condition).
    func running(_ conditions: [String]) -> String {
        let columns = conditions.map { "coalesce(sum(CASE WHEN \($0) THEN 1 ELSE 0 END), 0)" }.joined(separator: ", ")
        return "SELECT \(columns) FROM \(table) WHERE \(delivered) IS NOT NULL"
    }

    /// Due rows under flow control of the queues ?2... that head their group and that no blocked
    /// rule matches, in due order: id, type, group, queue, due time (?1 now).
    func flowCandidates(queueCount: Int, blocked: [String], limit: Int) -> String {
        let queues = (0..<queueCount).map { "?\($0 + 2)" }.joined(separator: ", ")
        let unblocked = blocked.map { " AND NOT (\($0))" }.joined()
        return """
            SELECT id, flow_type, flow_group, queue_name, \(available) FROM \(table) m
            WHERE queue_name IN (\(queues)) AND \(delivered) IS NULL AND \(available) <= ?1 AND flow_type IS NOT NULL AND \(Self.notPaused)\(unblocked)
            AND \(Self.groupHead(table))
            ORDER BY \(available), id LIMIT \(limit)
            """
    }

    /// Due free rows of the queues ?3..., up to ?2, in due order: id, due time (?1 now).
    func freeCandidates(queueCount: Int) -> String {
        let queues = (0..<queueCount).map { "?\($0 + 3)" }.joined(separator: ", ")
        return """
            SELECT id, \(available) FROM \(table) WHERE queue_name IN (\(queues)) AND \(delivered) IS NULL AND \(available) <= ?1
            AND flow_type IS NULL AND \(Self.notPaused) ORDER BY \(available), id LIMIT ?2
            """
    }

    /// Claims the rows ?3... for owner ?2 at ?1.
    func claimIds(_ count: Int) -> String {
        let ids = (0..<count).map { "?\($0 + 3)" }.joined(separator: ", ")
        return """
            UPDATE \(table) SET \(setDelivered("?1")), delivery_count = delivery_count + 1, claimed_by = ?2, started_on_claim = 0
            WHERE id IN (\(ids)) AND \(delivered) IS NULL RETURNING \(returning)
            """
    }

    /// The earliest due time of waiting rows under flow control of the queues ?1...
    func nextFlowDue(queueCount: Int) -> String {
        let queues = (0..<queueCount).map { "?\($0 + 1)" }.joined(separator: ", ")
        return "SELECT min(\(available)) FROM \(table) WHERE queue_name IN (\(queues)) AND \(delivered) IS NULL AND flow_type IS NOT NULL"
    }

    /// Removes a claimed row (as `deleteClaimed`) and answers its group and the order it holds there.
    var deleteClaimedKeepingOrder: String {
        "DELETE FROM \(table) WHERE id = ?1 AND claimed_by = ?2 AND delivery_count = ?3 RETURNING flow_group, coalesce(flow_order, id)"
    }

    /// Due rows under flow control of the queues ?2... (?1 now): behind an earlier message of their
    /// group; else under a full concurrency rule (`full`); else under a spent rate (`spent`).
    func heldBack(queueCount: Int, full: String, spent: String) -> String {
        let queues = (0..<queueCount).map { "?\($0 + 2)" }.joined(separator: ", ")
        return """
            SELECT coalesce(sum(CASE WHEN NOT head THEN 1 ELSE 0 END), 0), coalesce(sum(CASE WHEN head AND lim THEN 1 ELSE 0 END), 0),
                   coalesce(sum(CASE WHEN head AND NOT lim AND rate THEN 1 ELSE 0 END), 0)
            FROM (SELECT \(Self.groupHead(table)) AS head, (\(full)) AS lim, (\(spent)) AS rate FROM \(table) m
                  WHERE queue_name IN (\(queues)) AND \(delivered) IS NULL AND \(available) <= ?1 AND flow_type IS NOT NULL)
            """
    }

    /// A due waiting row under flow control (?1 id, ?2 now): type, group, queue, earlier messages of its group.
    var waitingRow: String {
        """
        SELECT m.flow_type, m.flow_group, m.queue_name, (SELECT count(*) FROM \(table) o WHERE o.queue_name = m.queue_name AND o.flow_group = m.flow_group
            AND coalesce(o.flow_order, o.id) < coalesce(m.flow_order, m.id))
        FROM \(table) m WHERE m.id = ?1 AND m.\(delivered) IS NULL AND m.\(available) <= ?2 AND m.flow_type IS NOT NULL
        """
    }

    static let readBucket = "SELECT tokens, updated_at FROM messenger_rate_limits WHERE name = ?1"
    static let writeBucket = """
        INSERT INTO messenger_rate_limits (name, tokens, updated_at) VALUES (?1, ?2, ?3)
        ON CONFLICT (name) DO UPDATE SET tokens = excluded.tokens, updated_at = max(messenger_rate_limits.updated_at, excluded.updated_at)
        """
}
