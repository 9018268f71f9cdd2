import Messenger

/// A claimed row as its owner knows it: an acknowledgement or a release matches both, so that it
/// never touches a row another worker has claimed since.
typealias PostgresClaim = (id: Int64, deliveries: Int64)

/// The SQL of a PostgreSQL transport table: Symfony's doctrine layout plus `delivery_count` and
/// `claimed_by` (the claiming worker's key, whose lease it renews while alive: `PostgresLease`),
/// the deduplication key, and what the poison-message check counts: deliveries known to have started
/// a handler whose worker died (`abandoned_count`), and whether the current claim was handed to a
/// handler at once (`started_on_claim`).
struct PostgresSchema: Sendable {
    let table: String
    /// Whether the statements write status records (the transport's `tracking` is not `none`).
    var tracked = true
    /// Whether due times are whole seconds, as Symfony's Doctrine transport compares them (a table
    /// shared with Symfony Messenger: `serializer: symfony`).
    var doctrineDates = false

    /// The due time `delay` milliseconds from now (an SQL expression). With Doctrine's dates, whole
    /// seconds: rounded down for a message due at once (Symfony's worker sees it at once), up for a
    /// later one (never due early there).
    func dueTime(_ delay: String) -> String {
        guard doctrineDates else { return "now() + \(delay) * interval '1 millisecond'" }
        let milliseconds = "(\(delay))::float8"
        return "date_trunc('second', now() + (CASE WHEN \(milliseconds) > 0 THEN \(milliseconds) + 999 ELSE \(milliseconds) END) * interval '1 millisecond')"
    }

    var channel: String { table }

    /// Created under one transaction-scoped advisory lock for every transport table, so that workers
    /// starting together do not race, neither on one table nor on the signals table that all share.
    /// A table Symfony's Doctrine transport made gets this transport's columns and defaults.
    var create: String {
        """
        SELECT pg_advisory_xact_lock(hashtext('messenger setup'));
        CREATE TABLE IF NOT EXISTS \(table) (
            id BIGSERIAL PRIMARY KEY,
            body TEXT NOT NULL,
            headers TEXT NOT NULL,
            queue_name VARCHAR(190) NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            available_at TIMESTAMPTZ NOT NULL,
            delivered_at TIMESTAMPTZ NULL,
            delivery_count INT NOT NULL DEFAULT 0,
            claimed_by BIGINT NULL
        ) WITH (
            fillfactor = 80,
            autovacuum_vacuum_scale_factor = 0.01,
            autovacuum_vacuum_threshold = 1000,
            autovacuum_vacuum_insert_scale_factor = 0.01,
            autovacuum_analyze_scale_factor = 0.02,
            autovacuum_vacuum_cost_delay = 0
        );
        ALTER TABLE \(table) ALTER COLUMN created_at SET DEFAULT now();
        ALTER TABLE \(table) ADD COLUMN IF NOT EXISTS delivery_count INT NOT NULL DEFAULT 0;
        ALTER TABLE \(table) ADD COLUMN IF NOT EXISTS claimed_by BIGINT NULL;
        CREATE INDEX IF NOT EXISTS \(table)_claimed ON \(table) (queue_name, delivered_at) WHERE delivered_at IS NOT NULL;
        CREATE INDEX IF NOT EXISTS \(table)_claimed_by ON \(table) (claimed_by) WHERE delivered_at IS NOT NULL;
        \(notifyFunction)
        CREATE OR REPLACE TRIGGER \(table)_notify AFTER INSERT ON \(table)
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION \(table)_notify();
        CREATE TABLE IF NOT EXISTS messenger_worker_signals (name TEXT PRIMARY KEY, requested_at TIMESTAMPTZ NOT NULL);
        CREATE TABLE IF NOT EXISTS messenger_claim_leases (owner BIGINT PRIMARY KEY, expires_at TIMESTAMPTZ NOT NULL) WITH (fillfactor = 50);
        ALTER TABLE \(table) ADD COLUMN IF NOT EXISTS dedup_key TEXT NULL;
        ALTER TABLE \(table) ADD COLUMN IF NOT EXISTS dedup_handling BOOLEAN NOT NULL DEFAULT false;
        CREATE UNIQUE INDEX IF NOT EXISTS \(table)_dedup ON \(table) (queue_name, dedup_key)
            WHERE dedup_key IS NOT NULL AND (delivered_at IS NULL OR dedup_handling);
        ALTER TABLE \(table) ADD COLUMN IF NOT EXISTS abandoned_count INT NOT NULL DEFAULT 0;
        ALTER TABLE \(table) ADD COLUMN IF NOT EXISTS started_on_claim BOOLEAN NOT NULL DEFAULT false;
        ALTER TABLE \(table) ADD COLUMN IF NOT EXISTS message_id TEXT NULL;
        ALTER TABLE \(table) ADD COLUMN IF NOT EXISTS flow_type TEXT NULL;
        ALTER TABLE \(table) ADD COLUMN IF NOT EXISTS flow_group TEXT NULL;
        ALTER TABLE \(table) ADD COLUMN IF NOT EXISTS flow_order BIGINT NULL;
        \(createFlowIndexes)
        """
    }

    /// Whether the table, its trigger, its deduplication index and its latest column exist ($1 to
    /// $3); then whether the records' tables do (shared by every table of the database: created once,
    /// never locked again by a table's set-up while other transports write records).
    /// The trigger's function: a transaction that stores due rows notifies their queues, unless another
    /// transaction storing into the same queue holds its notify lock (a transaction-scoped advisory
    /// lock, taken without waiting): that one's notification wakes the workers, and their listener's
    /// follow-up and short poll cover a row committed just after it. PostgreSQL serializes the commits
    /// of transactions that notify; so dispatching processes wait for each other only one at a time
    /// per queue, not on every dispatch.
    var notifyFunction: String {
        """
        CREATE OR REPLACE FUNCTION \(table)_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            queue text;
        BEGIN
            FOR queue IN SELECT DISTINCT queue_name FROM new_rows WHERE available_at <= now() LOOP
                IF pg_try_advisory_xact_lock(hashtextextended('\(table) notify ' || queue, 0)) THEN
                    PERFORM pg_notify('\(channel)', queue);
                END IF;
            END LOOP;
            RETURN NULL;
        END $$;
        """
    }

    static let isSetUp = """
        SELECT to_regclass($1) IS NOT NULL AND EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = $2) AND to_regclass($3) IS NOT NULL
        AND EXISTS (SELECT 1 FROM pg_proc WHERE oid = to_regproc($2) AND prosrc LIKE '%pg_try_advisory_xact_lock%')
        AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'flow_order' AND NOT attisdropped)
        AND to_regclass('messenger_flow_rules') IS NOT NULL AND to_regclass('messenger_claim_leases') IS NOT NULL
        AND to_regclass($1 || '_claimed_by') IS NOT NULL,
        to_regclass('messenger_records_type') IS NOT NULL AND to_regclass('messenger_paused_queues') IS NOT NULL
        AND to_regclass('messenger_workers') IS NOT NULL AND to_regclass('messenger_credentials') IS NOT NULL
        AND to_regclass('messenger_throughput') IS NOT NULL
        """

    /// The columns a stored row's CTE returns for its record.
    static let storedColumns = "id, message_id, queue_name, created_at, available_at, body"

    /// `WITH <steps> SELECT id FROM m` when records are written, else the plain statement.
    private func storing(_ insert: String, recordsFrom n: Int) -> String {
        guard tracked else { return insert + " RETURNING id" }
        return "WITH m AS (\(insert) RETURNING \(Self.storedColumns)), \(PostgresRecordSchema.stored(from: "m", first: n)) SELECT id FROM m"
    }

    /// Inserts unless a message with the key is pending (waiting, or being handled when it asked so);
    /// $7 the public id, then the record's arrays, then its flow type, group and place in its group.
    var insertDeduplicated: String {
        let flow = flowParameter(after: 8)
        return storing("""
        INSERT INTO \(table) (body, headers, queue_name, available_at, dedup_key, dedup_handling, message_id, flow_type, flow_group, flow_order)
        VALUES ($1, $2, $3, \(dueTime("$4")), $5, $6, $7, $\(flow), $\(flow + 1), $\(flow + 2)::bigint)
        ON CONFLICT (queue_name, dedup_key) WHERE dedup_key IS NOT NULL AND (delivered_at IS NULL OR dedup_handling) DO NOTHING
        """, recordsFrom: 8)
    }
    /// A retried message's own claimed row stops holding its key ($1 id, $2 queue, $3 key).
    var releaseOwnKey: String {
        "UPDATE \(table) SET dedup_key = NULL WHERE id = $1 AND queue_name = $2 AND dedup_key = $3 AND delivered_at IS NOT NULL"
    }
    /// The pending message holding a key: id, whether it waits, its public id, whether it is delayed
    /// (against the clock: this transaction may have begun before the pending one stored it).
    var pendingWithKey: String {
        "SELECT id, delivered_at IS NULL, message_id, available_at > clock_timestamp() FROM \(table) WHERE queue_name = $1 AND dedup_key = $2 AND (delivered_at IS NULL OR dedup_handling) LIMIT 1"
    }
    var moveDueTime: String {
        """
        WITH moved AS (UPDATE \(table) SET available_at = \(dueTime("$2")) WHERE id = $1 AND delivered_at IS NULL
            RETURNING message_id, available_at)
        UPDATE messenger_records r SET available_at = moved.available_at, status = CASE WHEN moved.available_at > now() THEN 'scheduled' ELSE 'queued' END
        FROM moved WHERE r.id = moved.message_id AND r.status IN ('queued', 'scheduled')
        """
    }

    static let returning = "id, body, headers, delivery_count, abandoned_count, available_at"
    /// What a claim or a listing answers, from rows or a CTE of `returning`: the due time in
    /// milliseconds since 1970, whatever the session's time zone.
    static let answer = "id, body, headers, delivery_count, abandoned_count, (extract(epoch FROM available_at) * 1000)::bigint"

    /// Whether the worker holding a claimed row is gone: its owner key's lease has run out (or was
    /// ended). The few such owners are looked up first, then their rows through the index on
    /// `claimed_by`: a check costs the same whatever the number of rows claimed by live workers.
    /// (An owner without any lease, a worker of a version before leases, is taken for alive until
    /// `redeliver_timeout`.) On a table shared with Symfony, only a claim made while the lease ran
    /// counts: a row that Symfony's Doctrine transport claimed since (it sets `delivered_at` alone)
    /// waits for `redeliver_timeout`. (Elsewhere a claim made just after a lapse the worker had not
    /// seen yet is its own too, should it die before its next renewal.)
    var ownerGone: String {
        let gone = "claimed_by = ANY (ARRAY(SELECT l.owner FROM messenger_claim_leases l WHERE l.expires_at <= now()))"
        guard doctrineDates else { return gone }
        return gone + " AND delivered_at <= (SELECT l.expires_at FROM messenger_claim_leases l WHERE l.owner = claimed_by)"
    }

    /// Takes or renews owner $1's lease for $2 seconds; answers whether it had run out (null when
    /// there was none).
    static let renewLease = """
        WITH previous AS (SELECT expires_at FROM messenger_claim_leases WHERE owner = $1)
        INSERT INTO messenger_claim_leases (owner, expires_at) VALUES ($1, now() + $2 * interval '1 second')
        ON CONFLICT (owner) DO UPDATE SET expires_at = excluded.expires_at
        RETURNING (SELECT expires_at <= now() FROM previous)
        """
    /// Ends owner $1's lease: what it still holds is taken back at once.
    static let endLease = "UPDATE messenger_claim_leases SET expires_at = now() - interval '1 millisecond' WHERE owner = $1"
    /// Forgets owner $1's lease: it holds nothing (a worker that stopped cleanly), so no other
    /// worker needs to look for its rows.
    static let forgetLease = "DELETE FROM messenger_claim_leases WHERE owner = $1"
    /// Forgets leases that ran out an hour ago (workers long dead; their rows were taken back).
    static let pruneLeases = "DELETE FROM messenger_claim_leases WHERE expires_at < now() - interval '1 hour'"

    /// One message ($5 its public id), then its record's arrays.
    var insert: String {
        let flow = flowParameter(after: 6)
        return storing("""
            INSERT INTO \(table) (body, headers, queue_name, available_at, message_id, flow_type, flow_group)
            VALUES ($1, $2, $3, \(dueTime("$4")), $5, $\(flow), $\(flow + 1))
            """, recordsFrom: 6)
    }

    /// The first of the flow parameters (type, group) of a statement whose record arrays, when
    /// records are written, start at `recordsFrom`: they come after them.
    func flowParameter(after recordsFrom: Int) -> Int { recordsFrom + (tracked ? RecordArrays.count : 0) }

    /// Many messages in one statement: parallel arrays of bodies, headers, delays and public ids;
    /// then their records' arrays (parallel too); then, with `flow` (some of them under flow
    /// control), their flow types and groups. Row ids are drawn from the table's sequence first, so
    /// that rows and records are written from one source without joining them back. A batch of free
    /// messages sends no flow arrays (they would cost a batch about 5 %).
    func insertMany(flow: Bool) -> String {
        let first = flowParameter(after: 6)
        let (columns, values, arguments, names) = flow
            ? (", flow_type, flow_group", ", ft, fg", ", $\(first)::text[], $\(first + 1)::text[]", ", ft, fg")
            : ("", "", "", "")
        guard tracked else {
            return """
                INSERT INTO \(table) (body, headers, queue_name, available_at, message_id\(columns))
                SELECT b, h, $3, \(dueTime("d")), i\(values)
                FROM unnest($1::text[], $2::text[], $4::bigint[], $5::text[]\(arguments)) AS m(b, h, d, i\(names))
                RETURNING id
                """
        }
        return """
            WITH src AS (
                SELECT nextval('\(table)_id_seq'::regclass) AS id, u.*, $3::text AS q FROM unnest($1::text[], $2::text[], $4::bigint[], $5::text[],
                    \(PostgresRecordSchema.recordArguments(first: 6))\(arguments))
                    WITH ORDINALITY AS u(b, h, d, i, \(PostgresRecordSchema.recordColumns)\(names), n)
            ),
            m AS (INSERT INTO \(table) (id, body, headers, queue_name, available_at, message_id\(columns))
                SELECT id, b, h, q, \(dueTime("d")), i\(values) FROM src ORDER BY n RETURNING id),
            \(PostgresRecordSchema.storedFromSource)
            SELECT id FROM src ORDER BY n
            """
    }

    /// The parameters of `insert`.
    func insertParameters(_ encoded: EncodedEnvelope, queue: String, delay: Int64, messageId: String?, record: RecordArrays, flow: FlowFields) -> [PostgresValue] {
        [.text(encoded.body), .text(encoded.headers), .text(queue), .int(delay), messageId.map { .text($0) } ?? .null] + (tracked ? record.parameters : [])
            + flow.parameters
    }

    /// The first parameters of the statements that act on an owner's claims: the owner, the claims'
    /// ids and their delivery counts (`deleteAcked`, `release`, and `claimReady`'s acknowledgements).
    static func claimParameters(owner: Int64, _ claims: [PostgresClaim]) -> [PostgresValue] {
        [.int(owner), .integers(claims.map(\.id)), .integers(claims.map(\.deliveries))]
    }

    /// The claims of rows that carry the id in their first column and the delivery count in `column`.
    static func claims(of rows: [[String?]], deliveriesIn column: Int) -> [PostgresClaim] {
        rows.map { (id: Int64($0[0] ?? "") ?? 0, deliveries: Int64($0[column] ?? "") ?? 0) }
    }

    /// The parameters of `insertMany`.
    func insertManyParameters(_ encoded: [EncodedEnvelope], queue: String, delays: [Int64], messageIds: [String?], records: RecordArrays,
                              flows: [FlowFields]) -> [PostgresValue] {
        [.array(encoded.map(\.body)), .array(encoded.map(\.headers)), .text(queue), .integers(delays), .optionalArray(messageIds)]
            + (tracked ? records.parameters : []) + (FlowFields.any(flows) ? FlowFields.arrays(flows) : [])
    }

    /// The queue filter on parameter `$n`: `= $n` for one queue, so that the planner walks the
    /// (queue_name, available_at, id) index in order; `= ANY($n)` (a sort) for several.
    static func queueFilter(_ parameter: Int, queues: Int) -> String {
        queues == 1 ? "queue_name = $\(parameter)" : "queue_name = ANY($\(parameter)::text[])"
    }

    /// The value bound to the queue filter's parameter.
    static func queueParameter(_ queues: [String]) -> PostgresValue {
        queues.count == 1 ? .text(queues[0]) : .array(queues)
    }

    /// The rows still held by these claims: $1 owner, $2 ids, $3 delivery counts (an acknowledgement,
    /// a release or a replacement never touches a row another worker has claimed since).
    private static let heldByClaims = "claimed_by = $1 AND (id, delivery_count) IN (SELECT * FROM unnest($2::bigint[], $3::int[]))"

    /// The acknowledged rows still held by this claim ($1 to $3), deleted; with records, their
    /// outcomes (arrays from `$outcomes`) written.
    private func deleteAckedSteps(outcomes n: Int) -> String {
        guard tracked else { return "acked AS (DELETE FROM \(table) WHERE \(Self.heldByClaims))" }
        return PostgresRecordSchema.acknowledged(table: table, first: n)
    }

    /// Claimed rows (CTE `claimed`, returning `returning` and message_id): the statement's answer,
    /// after their records start an attempt by worker `$worker` when `worker` is given (a claim by
    /// id; the worker's heartbeat marks what a worker's claims start).
    private func answering(worker n: Int?, orderedBy order: String = "") -> String {
        guard tracked, let n else { return "SELECT \(Self.answer) FROM claimed \(order)" }
        return ", \(PostgresRecordSchema.started(from: "claimed", worker: n)) SELECT \(Self.answer) FROM claimed \(order)"
    }

    /// Deletes the acknowledged rows ($1 to $3), then claims up to $4 due free rows (none under flow
    /// control) of the queues $5 that no other worker holds, none of a paused queue, in the order they are handled (due time, in which a
    /// priority counts, then id). With $6, the first row (the one the worker starts at once) is
    /// marked as started on claim. With records: outcomes from $7. The claimed rows are updated by
    /// primary key (an index look-up each), never by joining the whole table.
    func claimReady(queues: Int) -> String {
        """
        WITH \(deleteAckedSteps(outcomes: 7)),
        picked AS (
            SELECT id, available_at FROM \(table) WHERE \(Self.queueFilter(5, queues: queues)) AND delivered_at IS NULL AND available_at <= now()
            AND flow_type IS NULL AND \(PostgresRecordSchema.notPaused)
            ORDER BY available_at, id LIMIT $4 FOR UPDATE SKIP LOCKED
        ),
        claimed AS (
            UPDATE \(table) m SET delivered_at = now(), delivery_count = m.delivery_count + 1, claimed_by = $1,
                started_on_claim = ($6::boolean AND m.id = (SELECT id FROM picked ORDER BY available_at, id LIMIT 1))
            WHERE m.id = ANY (ARRAY(SELECT id FROM picked))
            RETURNING m.id, m.body, m.headers, m.delivery_count, m.abandoned_count, m.message_id, m.available_at
        )
        \(answering(worker: nil, orderedBy: "ORDER BY available_at, id"))
        """
    }

    /// Deletes the acknowledged rows ($1 to $3), then claims up to $4 rows whose worker is gone (its
    /// lease ran out) or that stayed claimed past the redeliver timeout ($5 seconds), of the queues
    /// $6. The worker starts them at once, so they are marked as started on claim, and their previous
    /// delivery counts as abandoned if it was so marked. Each cause is looked up through an index of
    /// its own (the oldest claims; the claims of the few owners whose lease ran out), so that the look
    /// costs the same whatever the number of rows that live workers hold.
    func claimAbandoned(queues: Int) -> String {
        let candidates = "\(Self.queueFilter(6, queues: queues)) AND delivered_at IS NOT NULL AND NOT (id = ANY($2::bigint[])) AND \(PostgresRecordSchema.notPaused)"
        return """
        WITH \(deleteAckedSteps(outcomes: 7)),
        expired AS (
            SELECT id, delivered_at FROM \(table) WHERE \(candidates) AND delivered_at < now() - $5 * interval '1 second'
            ORDER BY delivered_at LIMIT $4 FOR UPDATE SKIP LOCKED
        ),
        orphaned AS (
            SELECT id, delivered_at FROM \(table) WHERE \(candidates) AND \(ownerGone)
            ORDER BY delivered_at LIMIT $4 FOR UPDATE SKIP LOCKED
        ),
        claimed AS (
            UPDATE \(table) SET delivered_at = now(), delivery_count = delivery_count + 1, claimed_by = $1,
                abandoned_count = abandoned_count + (CASE WHEN started_on_claim THEN 1 ELSE 0 END), started_on_claim = true
            WHERE id IN (SELECT id FROM (SELECT * FROM expired UNION SELECT * FROM orphaned) c ORDER BY delivered_at LIMIT $4)
            RETURNING \(Self.returning), message_id
        )
        \(answering(worker: nil))
        """
    }

    /// Every row this owner ($1) holds: after a reconnection, compared with what the transport knows
    /// it holds.
    var ownedClaims: String {
        "SELECT id, delivery_count FROM \(table) WHERE claimed_by = $1 AND delivered_at IS NOT NULL"
    }

    /// Removes claimed rows ($1 owner, $2 ids, $3 delivery counts) and stores the rows that replace
    /// them in table `target` (parallel arrays: $4 the original's id, $5 bodies, $6 headers, $7
    /// queues, $8 delays in ms, $9 public ids; with records, their arrays from $10): a replacement
    /// is stored only if its original was removed. Then the replacements' flow arrays: types, groups,
    /// and whether each holds its group's place.
    func replaceClaims(into target: String) -> String {
        let flow = flowParameter(after: 10)
        let flowArguments = "$\(flow)::text[], $\(flow + 1)::text[], $\(flow + 2)::text[]"
        // A retry that holds its group keeps its original's place there (see `PostgresSchema.groupHead`).
        let order = "CASE WHEN r.hold = 'true' AND r.fg = g.flow_group THEN g.place END"
        let gone = "gone AS (DELETE FROM \(table) WHERE \(Self.heldByClaims) RETURNING id, flow_group, coalesce(flow_order, id) AS place)"
        let insert = """
            INSERT INTO \(target) (body, headers, queue_name, available_at, message_id, flow_type, flow_group, flow_order)
            SELECT r.b, r.h, r.q, now() + r.d * interval '1 millisecond', r.i, r.ft, r.fg, \(order)
            FROM unnest($4::bigint[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], \(flowArguments)) AS r(o, b, h, q, d, i, ft, fg, hold)
            JOIN gone g ON g.id = r.o
            """
        guard tracked else { return "WITH \(gone) \(insert) RETURNING id" }
        return """
            WITH \(gone),
            src AS (
                SELECT nextval('\(target)_id_seq'::regclass) AS id, r.*, \(order) AS fo FROM unnest($4::bigint[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[],
                    \(PostgresRecordSchema.recordArguments(first: 10)), \(flowArguments)) AS r(o, b, h, q, d, i, \(PostgresRecordSchema.recordColumns), ft, fg, hold)
                JOIN gone g ON g.id = r.o
            ),
            m AS (INSERT INTO \(target) (id, body, headers, queue_name, available_at, message_id, flow_type, flow_group, flow_order)
                SELECT id, b, h, q, \(dueTime("d")), i, ft, fg, fo FROM src RETURNING id),
            \(PostgresRecordSchema.storedFromSource)
            SELECT id FROM m
            """
    }

    /// Removes one claimed row ($1 owner, $2 id, $3 delivery count); returns it if it was removed,
    /// with its group and its place there.
    var deleteClaim: String {
        "DELETE FROM \(table) WHERE claimed_by = $1 AND id = $2 AND delivery_count = $3 RETURNING id, flow_group, coalesce(flow_order, id)"
    }

    /// Removes a waiting row for a cancellation ($1 row id, $2 public id); returns it when removed.
    var removeWaiting: String { "DELETE FROM \(table) WHERE id = $1 AND message_id = $2 AND delivered_at IS NULL RETURNING id" }

    /// Rows of queue $2 with id $1 that no live claim holds: free, or claimed by a worker that is
    /// gone or past the redeliver timeout ($3 seconds).
    private var freeById: String {
        """
        SELECT id FROM \(table) WHERE id = $1 AND queue_name = $2
        AND (delivered_at IS NULL OR delivered_at < now() - $3 * interval '1 second' OR \(ownerGone))
        FOR UPDATE SKIP LOCKED
        """
    }

    /// Claims one stored row by id for owner $4, unless a live claim holds it ($1 to $3 as `freeById`).
    /// An operator's retry is not counted against the poison-message check, whatever came before it.
    /// With records, the worker's id is $5.
    var claimById: String {
        """
        WITH claimed AS (
            UPDATE \(table) SET delivered_at = now(), delivery_count = delivery_count + 1, claimed_by = $4, started_on_claim = true
            WHERE id = (\(freeById))
            RETURNING \(Self.returning), message_id
        )
        \(answering(worker: 5))
        """
    }

    /// Removes one stored row by id, unless a live claim holds it ($1 to $3 as `freeById`); with
    /// records, its record ends cancelled ($4 why).
    var removeById: String {
        guard tracked else { return "DELETE FROM \(table) WHERE id = (\(freeById)) RETURNING id" }
        return """
            WITH removed AS (DELETE FROM \(table) WHERE id = (\(freeById)) RETURNING id, message_id), \(PostgresRecordSchema.cancelled(from: "removed", why: 4))
            SELECT id FROM removed
            """
    }
    var exists: String { "SELECT 1 FROM \(table) WHERE id = $1 AND queue_name = $2" }

    /// Deletes acknowledged rows ($1 to $3); with records, their outcomes from $4.
    var deleteAcked: String {
        guard tracked else { return "DELETE FROM \(table) WHERE \(Self.heldByClaims)" }
        return "WITH \(deleteAckedSteps(outcomes: 4)) SELECT count(*) FROM acked"
    }
    var keepalive: String { "UPDATE \(table) SET delivered_at = now() WHERE id = $1 AND claimed_by = $2 AND delivery_count = $3" }
    /// Gives claims back; a claim whose key a newer waiting message holds is deleted instead (that
    /// message stands for it).
    /// With records, the superseded ones end cancelled ($4 why) and the others wait again.
    var release: String {
        let superseded = """
            superseded AS (
                DELETE FROM \(table) m WHERE \(Self.heldByClaims)
                AND dedup_key IS NOT NULL
                AND EXISTS (SELECT 1 FROM \(table) o WHERE o.queue_name = m.queue_name AND o.dedup_key = m.dedup_key AND o.id <> m.id AND o.delivered_at IS NULL)
                RETURNING id, message_id)
            """
        let update = """
            UPDATE \(table) SET delivered_at = NULL, claimed_by = NULL, delivery_count = delivery_count - 1
            WHERE \(Self.heldByClaims)
            AND id NOT IN (SELECT id FROM superseded)
            """
        guard tracked else { return "WITH \(superseded) \(update)" }
        return """
            WITH \(superseded), \(PostgresRecordSchema.cancelled(from: "superseded", why: 4)),
            back AS (\(update) RETURNING message_id), \(PostgresRecordSchema.released(from: "back"))
            SELECT count(*) FROM back
            """
    }
    /// One due free row of the queues $1, if any: a look-up in the index of waiting free rows, for
    /// workers that poll.
    func anyDue(queues: Int) -> String {
        "SELECT 1 FROM \(table) WHERE \(Self.queueFilter(1, queues: queues)) AND delivered_at IS NULL AND flow_type IS NULL AND available_at <= now() LIMIT 1"
    }

    /// The earliest due time of waiting free rows (those under flow control say themselves when
    /// to look again: `PostgresFlowClaim`).
    var nextAvailable: String {
        "SELECT (extract(epoch FROM min(available_at)) * 1000)::bigint FROM \(table) WHERE queue_name = $1 AND delivered_at IS NULL AND flow_type IS NULL"
    }
    var list: String { "SELECT \(Self.answer) FROM \(table) WHERE queue_name = $1 ORDER BY id LIMIT $2" }
    var find: String { "SELECT \(Self.answer) FROM \(table) WHERE queue_name = $1 AND id = $2" }
    /// How many messages queue $1 holds, counted up to `TransportStatistics.exactUpTo` + 1.
    var boundedCount: String {
        "SELECT count(*) FROM (SELECT 1 FROM \(table) WHERE queue_name = $1 LIMIT \(TransportStatistics.exactUpTo + 1)) s"
    }
    /// The planner's estimate of the waiting rows of queue $1 due (`<=`) or not yet due (`>`).
    func waitingEstimate(due: Bool) -> String {
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM \(table) WHERE queue_name = $1 AND delivered_at IS NULL AND available_at \(due ? "<=" : ">") now()"
    }
    /// Queue $1's claimed rows (the claimed index: few) and the age in seconds of its first stored row.
    var inFlightAndOldest: String {
        """
        SELECT (SELECT count(*) FROM \(table) WHERE queue_name = $1 AND delivered_at IS NOT NULL),
               (SELECT extract(epoch FROM now() - created_at) FROM \(table) WHERE queue_name = $1 ORDER BY id LIMIT 1)
        """
    }
    var statistics: String {
        """
        SELECT count(*),
               count(*) FILTER (WHERE delivered_at IS NULL AND available_at <= now()),
               count(*) FILTER (WHERE delivered_at IS NULL AND available_at > now()),
               count(*) FILTER (WHERE delivered_at IS NOT NULL),
               extract(epoch FROM now() - min(created_at))
        FROM \(table) WHERE queue_name = $1
        """
    }
    static let requestStop = """
        INSERT INTO messenger_worker_signals (name, requested_at) VALUES ('stop', to_timestamp($1::double precision))
        ON CONFLICT (name) DO UPDATE SET requested_at = excluded.requested_at
        """
    static let lastStop = "SELECT extract(epoch FROM requested_at) FROM messenger_worker_signals WHERE name = 'stop'"
}
