import Messenger

/// A claimed row as its owner knows it: an acknowledgement or a release matches both, so that it
/// never touches a row another worker has claimed since.
typealias PostgresClaim = (id: Int64, deliveries: Int64)

/// The SQL of a PostgreSQL transport table: Symfony's doctrine layout plus `delivery_count` and
/// `claimed_by` (the claiming worker's key, which it holds as a session advisory lock while alive),
/// the deduplication key, and what the poison-message check counts: deliveries known to have started
/// a handler whose worker died (`abandoned_count`), and whether the current claim was handed to a
/// handler at once (`started_on_claim`).
struct PostgresSchema: Sendable {
    let table: String

    var channel: String { table }

    /// Created under one transaction-scoped advisory lock for every transport table, so that workers
    /// starting together do not race, neither on one table nor on the signals table that all share.
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
        CREATE INDEX IF NOT EXISTS \(table)_ready ON \(table) (queue_name, available_at, id) WHERE delivered_at IS NULL;
        CREATE INDEX IF NOT EXISTS \(table)_claimed ON \(table) (queue_name, delivered_at) WHERE delivered_at IS NOT NULL;
        CREATE OR REPLACE FUNCTION \(table)_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('\(channel)', q.queue_name) FROM (SELECT DISTINCT queue_name FROM new_rows WHERE available_at <= now()) q;
            RETURN NULL;
        END $$;
        CREATE OR REPLACE TRIGGER \(table)_notify AFTER INSERT ON \(table)
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION \(table)_notify();
        CREATE TABLE IF NOT EXISTS messenger_worker_signals (name TEXT PRIMARY KEY, requested_at TIMESTAMPTZ NOT NULL);
        ALTER TABLE \(table) ADD COLUMN IF NOT EXISTS dedup_key TEXT NULL;
        ALTER TABLE \(table) ADD COLUMN IF NOT EXISTS dedup_handling BOOLEAN NOT NULL DEFAULT false;
        CREATE UNIQUE INDEX IF NOT EXISTS \(table)_dedup ON \(table) (queue_name, dedup_key)
            WHERE dedup_key IS NOT NULL AND (delivered_at IS NULL OR dedup_handling);
        ALTER TABLE \(table) ADD COLUMN IF NOT EXISTS abandoned_count INT NOT NULL DEFAULT 0;
        ALTER TABLE \(table) ADD COLUMN IF NOT EXISTS started_on_claim BOOLEAN NOT NULL DEFAULT false;
        """
    }

    /// True when the table, its trigger, its deduplication index and its latest column exist ($1 to $3).
    static let isSetUp = """
        SELECT to_regclass($1) IS NOT NULL AND EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = $2) AND to_regclass($3) IS NOT NULL
        AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'started_on_claim' AND NOT attisdropped)
        """

    /// Inserts unless a message with the key is pending (waiting, or being handled when it asked so).
    var insertDeduplicated: String {
        """
        INSERT INTO \(table) (body, headers, queue_name, available_at, dedup_key, dedup_handling)
        VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond', $5, $6)
        ON CONFLICT (queue_name, dedup_key) WHERE dedup_key IS NOT NULL AND (delivered_at IS NULL OR dedup_handling) DO NOTHING
        RETURNING id
        """
    }
    /// A retried message's own claimed row stops holding its key ($1 id, $2 queue, $3 key).
    var releaseOwnKey: String {
        "UPDATE \(table) SET dedup_key = NULL WHERE id = $1 AND queue_name = $2 AND dedup_key = $3 AND delivered_at IS NOT NULL"
    }
    /// The pending message holding a key: id and whether it waits.
    var pendingWithKey: String {
        "SELECT id, delivered_at IS NULL FROM \(table) WHERE queue_name = $1 AND dedup_key = $2 AND (delivered_at IS NULL OR dedup_handling) LIMIT 1"
    }
    var moveDueTime: String {
        "UPDATE \(table) SET available_at = now() + $2 * interval '1 millisecond' WHERE id = $1 AND delivered_at IS NULL"
    }

    static let returning = "id, body, headers, delivery_count, abandoned_count"

    /// The owner keys of live workers: the session advisory locks held now.
    static let liveOwners = "SELECT (l.classid::bigint << 32) | l.objid::bigint FROM pg_locks l WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted"

    var insert: String {
        "INSERT INTO \(table) (body, headers, queue_name, available_at) VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond') RETURNING id"
    }

    /// Many messages in one statement: parallel arrays of bodies, headers and delays.
    var insertMany: String {
        """
        INSERT INTO \(table) (body, headers, queue_name, available_at)
        SELECT b, h, $3, now() + d * interval '1 millisecond' FROM unnest($1::text[], $2::text[], $4::bigint[]) AS m(b, h, d)
        RETURNING id
        """
    }

    /// The parameters of `insert`.
    static func insertParameters(_ encoded: EncodedEnvelope, queue: String, delay: Int64) -> [PostgresValue] {
        [.text(encoded.body), .text(encoded.headers), .text(queue), .int(delay)]
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
    static func insertManyParameters(_ encoded: [EncodedEnvelope], queue: String, delays: [Int64]) -> [PostgresValue] {
        [.array(encoded.map(\.body)), .array(encoded.map(\.headers)), .text(queue), .integers(delays)]
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

    /// The acknowledged rows still held by this claim ($1 to $3), deleted.
    private var deleteAckedStep: String { "acked AS (DELETE FROM \(table) WHERE \(Self.heldByClaims))" }

    /// Deletes the acknowledged rows ($1 to $3), then claims up to $4 due rows of the queues $5 that no
    /// other worker holds. With $6, the first row (the one the worker starts at once) is marked as
    /// started on claim.
    func claimReady(queues: Int) -> String {
        """
        WITH \(deleteAckedStep),
        picked AS (
            SELECT id FROM \(table) WHERE \(Self.queueFilter(5, queues: queues)) AND delivered_at IS NULL AND available_at <= now()
            ORDER BY available_at, id LIMIT $4 FOR UPDATE SKIP LOCKED
        )
        UPDATE \(table) m SET delivered_at = now(), delivery_count = m.delivery_count + 1, claimed_by = $1,
            started_on_claim = ($6::boolean AND m.id = (SELECT min(id) FROM picked))
        FROM picked WHERE m.id = picked.id
        RETURNING m.id, m.body, m.headers, m.delivery_count, m.abandoned_count
        """
    }

    /// Deletes the acknowledged rows ($1 to $3), then claims up to $4 rows whose worker is gone (its
    /// session advisory lock is no longer held) or that stayed claimed past the redeliver timeout ($5
    /// seconds), of the queues $6. The worker starts them at once, so they are marked as started on
    /// claim, and their previous delivery counts as abandoned if it was so marked.
    func claimAbandoned(queues: Int) -> String {
        """
        WITH \(deleteAckedStep)
        UPDATE \(table) SET delivered_at = now(), delivery_count = delivery_count + 1, claimed_by = $1,
            abandoned_count = abandoned_count + (CASE WHEN started_on_claim THEN 1 ELSE 0 END), started_on_claim = true
        WHERE id IN (
            SELECT id FROM \(table) WHERE \(Self.queueFilter(6, queues: queues)) AND delivered_at IS NOT NULL
            AND NOT (id = ANY($2::bigint[]))
            AND (delivered_at < now() - $5 * interval '1 second' OR claimed_by <> ALL (\(Self.liveOwners)))
            ORDER BY delivered_at LIMIT $4 FOR UPDATE SKIP LOCKED
        )
        RETURNING \(Self.returning)
        """
    }

    /// Every row this owner ($1) holds: after a reconnection, compared with what the transport knows
    /// it holds.
    var ownedClaims: String {
        "SELECT id, delivery_count FROM \(table) WHERE claimed_by = $1 AND delivered_at IS NOT NULL"
    }

    /// Removes claimed rows ($1 owner, $2 ids, $3 delivery counts) and stores the rows that replace
    /// them in table `target` (parallel arrays: $4 the original's id, $5 bodies, $6 headers, $7
    /// queues, $8 delays in ms): a replacement is stored only if its original was removed.
    func replaceClaims(into target: String) -> String {
        """
        WITH gone AS (
            DELETE FROM \(table) WHERE \(Self.heldByClaims) RETURNING id
        )
        INSERT INTO \(target) (body, headers, queue_name, available_at)
        SELECT r.b, r.h, r.q, now() + r.d * interval '1 millisecond'
        FROM unnest($4::bigint[], $5::text[], $6::text[], $7::text[], $8::bigint[]) AS r(o, b, h, q, d)
        WHERE r.o IN (SELECT id FROM gone)
        RETURNING id
        """
    }

    /// Removes one claimed row ($1 owner, $2 id, $3 delivery count); returns it if it was removed.
    var deleteClaim: String {
        "DELETE FROM \(table) WHERE claimed_by = $1 AND id = $2 AND delivery_count = $3 RETURNING id"
    }

    /// Rows of queue $2 with id $1 that no live claim holds: free, or claimed by a worker that is
    /// gone or past the redeliver timeout ($3 seconds).
    private var freeById: String {
        """
        SELECT id FROM \(table) WHERE id = $1 AND queue_name = $2
        AND (delivered_at IS NULL OR delivered_at < now() - $3 * interval '1 second' OR claimed_by <> ALL (\(Self.liveOwners)))
        FOR UPDATE SKIP LOCKED
        """
    }

    /// Claims one stored row by id for owner $4, unless a live claim holds it ($1 to $3 as `freeById`).
    /// An operator's retry is not counted against the poison-message check, whatever came before it.
    var claimById: String {
        """
        UPDATE \(table) SET delivered_at = now(), delivery_count = delivery_count + 1, claimed_by = $4, started_on_claim = true
        WHERE id = (\(freeById))
        RETURNING \(Self.returning)
        """
    }

    /// Removes one stored row by id, unless a live claim holds it ($1 to $3 as `freeById`).
    var removeById: String { "DELETE FROM \(table) WHERE id = (\(freeById))" }
    var exists: String { "SELECT 1 FROM \(table) WHERE id = $1 AND queue_name = $2" }

    var deleteAcked: String {
        "DELETE FROM \(table) WHERE \(Self.heldByClaims)"
    }
    var keepalive: String { "UPDATE \(table) SET delivered_at = now() WHERE id = $1 AND claimed_by = $2 AND delivery_count = $3" }
    /// Gives claims back; a claim whose key a newer waiting message holds is deleted instead (that
    /// message stands for it).
    var release: String {
        """
        WITH superseded AS (
            DELETE FROM \(table) m WHERE \(Self.heldByClaims)
            AND dedup_key IS NOT NULL
            AND EXISTS (SELECT 1 FROM \(table) o WHERE o.queue_name = m.queue_name AND o.dedup_key = m.dedup_key AND o.id <> m.id AND o.delivered_at IS NULL)
            RETURNING id)
        UPDATE \(table) SET delivered_at = NULL, claimed_by = NULL, delivery_count = delivery_count - 1
        WHERE \(Self.heldByClaims)
        AND id NOT IN (SELECT id FROM superseded)
        """
    }
    var nextAvailable: String {
        "SELECT (extract(epoch FROM min(available_at)) * 1000)::bigint FROM \(table) WHERE queue_name = $1 AND delivered_at IS NULL"
    }
    var list: String { "SELECT \(Self.returning) FROM \(table) WHERE queue_name = $1 ORDER BY id LIMIT $2" }
    var find: String { "SELECT \(Self.returning) FROM \(table) WHERE queue_name = $1 AND id = $2" }
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
