import Messenger

/// What a stored row records for flow control (`limits:` and ordered groups): its wire type when it
/// is under flow control (null: a free row, claimed by the plain claim), and its group.
struct FlowFields: Sendable {
    var type: String?
    var group: String?

    var parameters: [PostgresValue] { [type.map { .text($0) } ?? .null, group.map { .text($0) } ?? .null] }

    /// Whether any row of a batch is under flow control or in a group.
    static func any(_ fields: [FlowFields]) -> Bool { fields.contains { $0.type != nil || $0.group != nil } }

    static func arrays(_ fields: [FlowFields]) -> [PostgresValue] { [.optionalArray(fields.map(\.type)), .optionalArray(fields.map(\.group))] }
}

/// The SQL of flow control on a PostgreSQL transport table. A row under flow control carries its wire
/// type in `flow_type`, its group in `flow_group`, and, for a retry that holds its group's place, the
/// order it keeps in `flow_order` (else its id orders it). Claims of such rows are serialized per
/// table by a transaction-scoped advisory lock, so that the running counts and tokens they read
/// still hold when they write.
extension PostgresSchema {
    /// Free rows and rows under flow control are read through indexes of their own, so that neither
    /// claim walks past the other's rows (each waiting row is in one of them: they replace the single
    /// ready index of earlier versions, so a send still writes one ready entry); a group's head is
    /// found by its order.
    var createFlowIndexes: String {
        """
        CREATE INDEX IF NOT EXISTS \(table)_ready_free ON \(table) (queue_name, available_at, id) WHERE delivered_at IS NULL AND flow_type IS NULL;
        CREATE INDEX IF NOT EXISTS \(table)_ready_flow ON \(table) (queue_name, available_at, id) WHERE delivered_at IS NULL AND flow_type IS NOT NULL;
        DROP INDEX IF EXISTS \(table)_ready;
        CREATE INDEX IF NOT EXISTS \(table)_groups ON \(table) (queue_name, flow_group, (coalesce(flow_order, id))) WHERE flow_group IS NOT NULL;
        CREATE TABLE IF NOT EXISTS messenger_rate_limits (name TEXT PRIMARY KEY, tokens DOUBLE PRECISION NOT NULL, updated_at TIMESTAMPTZ NOT NULL);
        CREATE TABLE IF NOT EXISTS messenger_flow_rules (table_name TEXT PRIMARY KEY, controlled TEXT NOT NULL);
        """
    }

    /// The rules' keys the table's waiting rows were last brought under ($1 table).
    static let adoptedRules = "SELECT controlled FROM messenger_flow_rules WHERE table_name = $1"
    static let recordAdoptedRules = """
        INSERT INTO messenger_flow_rules (table_name, controlled) VALUES ($1, $2) ON CONFLICT (table_name) DO UPDATE SET controlled = excluded.controlled
        """

    /// Waiting free rows that `conditions` (on the type in their headers) now put under flow control.
    func adopt(_ conditions: String) -> String {
        "UPDATE \(table) SET flow_type = headers::jsonb->>'type' WHERE delivered_at IS NULL AND flow_type IS NULL AND (\(conditions))"
    }

    /// Serializes the flow-controlled claims of this table ($1: the table's name).
    static let lockFlow = "SELECT pg_advisory_xact_lock(hashtext('messenger flow'), hashtext($1))"

    /// The running messages each condition matches (one column per condition).
    func running(_ conditions: [String]) -> String {
        let columns = conditions.map { "count(*) FILTER (WHERE \($0))" }.joined(separator: ", ")
        return "SELECT \(columns) FROM \(table) WHERE delivered_at IS NOT NULL"
    }

    /// The buckets named $1 (locked until the claim commits): name, tokens, milliseconds since their
    /// last update.
    /// Read with the clock, not the transaction's start: a claim may have waited for the flow lock
    /// while another spent tokens, and must not count that time twice.
    static let readBuckets = "SELECT name, tokens, extract(epoch FROM clock_timestamp() - updated_at) * 1000 FROM messenger_rate_limits WHERE name = ANY($1::text[])"

    /// No earlier message of the row's group (`m`) is still stored: waiting, running or waiting for
    /// its retry.
    var groupHead: String {
        """
        (m.flow_group IS NULL OR NOT EXISTS (SELECT 1 FROM \(table) o WHERE o.queue_name = m.queue_name AND o.flow_group = m.flow_group
            AND coalesce(o.flow_order, o.id) < coalesce(m.flow_order, m.id)))
        """
    }

    /// Due rows under flow control of the queues $1: behind an earlier message of their group; else
    /// under a full concurrency rule (`full`); else under a spent rate (`spent`).
    func heldBack(queues: Int, full: String, spent: String) -> String {
        """
        SELECT count(*) FILTER (WHERE NOT head), count(*) FILTER (WHERE head AND lim), count(*) FILTER (WHERE head AND NOT lim AND rate)
        FROM (SELECT \(groupHead) AS head, (\(full)) AS lim, (\(spent)) AS rate FROM \(table) m
              WHERE \(Self.queueFilter(1, queues: queues)) AND delivered_at IS NULL AND available_at <= now() AND flow_type IS NOT NULL) s
        """
    }

    /// A due waiting row under flow control ($1 id): type, group, queue, earlier messages of its group.
    var waitingRow: String {
        """
        SELECT m.flow_type, m.flow_group, m.queue_name, (SELECT count(*) FROM \(table) o WHERE o.queue_name = m.queue_name AND o.flow_group = m.flow_group
            AND coalesce(o.flow_order, o.id) < coalesce(m.flow_order, m.id))
        FROM \(table) m WHERE m.id = $1 AND m.delivered_at IS NULL AND m.available_at <= now() AND m.flow_type IS NOT NULL
        """
    }
    static let createBucket = "INSERT INTO messenger_rate_limits (name, tokens, updated_at) VALUES ($1, $2::double precision, clock_timestamp()) ON CONFLICT (name) DO NOTHING"
    static let writeBucket = """
        INSERT INTO messenger_rate_limits (name, tokens, updated_at) VALUES ($1, $2::double precision, clock_timestamp())
        ON CONFLICT (name) DO UPDATE SET tokens = excluded.tokens, updated_at = greatest(messenger_rate_limits.updated_at, excluded.updated_at)
        """

    /// Due rows under flow control of the queues $1 that head their group and that no blocked rule
    /// matches, in due order: id, type, group, queue.
    func flowCandidates(queues: Int, blocked: [String], limit: Int) -> String {
        let unblocked = blocked.map { " AND NOT (\($0))" }.joined()
        return """
            SELECT id, flow_type, flow_group, queue_name FROM \(table) m
            WHERE \(Self.queueFilter(1, queues: queues)) AND delivered_at IS NULL AND available_at <= now() AND flow_type IS NOT NULL
            AND \(PostgresRecordSchema.notPaused)\(unblocked) AND \(groupHead)
            ORDER BY available_at, id LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """
    }

    /// Claims for owner $1, up to $2, the rows $5 (picked under flow control) and due free rows of the
    /// queues $3, in due order; with $4, the first is marked as started on claim.
    func claimFlow(queues: Int) -> String {
        """
        WITH free AS (
            SELECT id, available_at FROM \(table) WHERE \(Self.queueFilter(3, queues: queues)) AND delivered_at IS NULL AND available_at <= now()
            AND flow_type IS NULL AND \(PostgresRecordSchema.notPaused)
            ORDER BY available_at, id LIMIT $2 FOR UPDATE SKIP LOCKED
        ),
        picked AS (
            SELECT id, available_at FROM (SELECT id, available_at FROM free UNION ALL SELECT id, available_at FROM \(table) WHERE id = ANY($5::bigint[])) u
            ORDER BY available_at, id LIMIT $2
        ),
        claimed AS (
            UPDATE \(table) m SET delivered_at = now(), delivery_count = m.delivery_count + 1, claimed_by = $1,
                started_on_claim = ($4::boolean AND m.id = (SELECT id FROM picked ORDER BY available_at, id LIMIT 1))
            WHERE m.id = ANY (ARRAY(SELECT id FROM picked)) AND m.delivered_at IS NULL
            RETURNING m.id, m.body, m.headers, m.delivery_count, m.abandoned_count, m.message_id, m.available_at, m.flow_type, m.queue_name
        )
        SELECT \(Self.answer), flow_type, queue_name FROM claimed ORDER BY available_at, id
        """
    }

    /// The earliest due time of the waiting rows under flow control of the queues $1, and now (epoch ms).
    func nextFlowDue(queues: Int) -> String {
        """
        SELECT (extract(epoch FROM min(available_at)) * 1000)::bigint, (extract(epoch FROM now()) * 1000)::bigint FROM \(table)
        WHERE \(Self.queueFilter(1, queues: queues)) AND delivered_at IS NULL AND flow_type IS NOT NULL
        """
    }
}
