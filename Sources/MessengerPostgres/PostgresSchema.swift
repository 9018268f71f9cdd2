import Messenger

/// A claimed row as its owner knows it: an acknowledgement or a release matches both, so that it
/// never touches a row another worker has claimed since.
typealias PostgresClaim = (id: Int64, deliveries: Int64)

/// The SQL of a PostgreSQL transport table: Symfony's doctrine layout plus `delivery_count` and
/// `claimed_by` (the claiming worker's key, which it holds as a session advisory lock while alive).
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
        """
    }

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

    static let returning = "id, body, headers, delivery_count"

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

    /// Deletes the acknowledged rows still held by this claim ($1 owner, $2 ids, $3 delivery counts),
    /// then claims up to $4 due rows of the queues $5 that no other worker holds.
    func claimReady(queues: Int) -> String {
        """
        WITH acked AS (
            DELETE FROM \(table) WHERE claimed_by = $1
            AND (id, delivery_count) IN (SELECT * FROM unnest($2::bigint[], $3::int[]))
        )
        UPDATE \(table) SET delivered_at = now(), delivery_count = delivery_count + 1, claimed_by = $1
        WHERE id IN (
            SELECT id FROM \(table) WHERE \(Self.queueFilter(5, queues: queues)) AND delivered_at IS NULL AND available_at <= now()
            ORDER BY available_at, id LIMIT $4 FOR UPDATE SKIP LOCKED
        )
        RETURNING \(Self.returning)
        """
    }

    /// Claims rows whose worker is gone (its session advisory lock is no longer held) or that stayed
    /// claimed past the redeliver timeout ($3 seconds).
    func claimAbandoned(queues: Int) -> String {
        """
        UPDATE \(table) SET delivered_at = now(), delivery_count = delivery_count + 1, claimed_by = $1
        WHERE id IN (
            SELECT id FROM \(table) WHERE \(Self.queueFilter(4, queues: queues)) AND delivered_at IS NOT NULL
            AND (delivered_at < now() - $3 * interval '1 second'
                 OR claimed_by <> ALL (SELECT (l.classid::bigint << 32) | l.objid::bigint FROM pg_locks l
                                       WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted))
            ORDER BY delivered_at LIMIT $2 FOR UPDATE SKIP LOCKED
        )
        RETURNING \(Self.returning)
        """
    }

    /// This owner's ($1) claims that it has handed to no handler ($2: the ids it has handed out):
    /// claims whose answer was lost with the connection.
    var orphanedClaims: String {
        "SELECT id, delivery_count FROM \(table) WHERE claimed_by = $1 AND NOT (id = ANY($2::bigint[]))"
    }
    var deleteAcked: String {
        "DELETE FROM \(table) WHERE claimed_by = $1 AND (id, delivery_count) IN (SELECT * FROM unnest($2::bigint[], $3::int[]))"
    }
    var keepalive: String { "UPDATE \(table) SET delivered_at = now() WHERE id = $1 AND claimed_by = $2 AND delivery_count = $3" }
    /// Gives claims back; a claim whose key a newer waiting message holds is deleted instead (that
    /// message stands for it).
    var release: String {
        """
        WITH superseded AS (
            DELETE FROM \(table) m WHERE claimed_by = $1 AND (id, delivery_count) IN (SELECT * FROM unnest($2::bigint[], $3::int[]))
            AND dedup_key IS NOT NULL
            AND EXISTS (SELECT 1 FROM \(table) o WHERE o.queue_name = m.queue_name AND o.dedup_key = m.dedup_key AND o.id <> m.id AND o.delivered_at IS NULL)
            RETURNING id)
        UPDATE \(table) SET delivered_at = NULL, claimed_by = NULL, delivery_count = delivery_count - 1
        WHERE claimed_by = $1 AND (id, delivery_count) IN (SELECT * FROM unnest($2::bigint[], $3::int[]))
        AND id NOT IN (SELECT id FROM superseded)
        """
    }
    var nextAvailable: String {
        "SELECT (extract(epoch FROM min(available_at)) * 1000)::bigint FROM \(table) WHERE queue_name = $1 AND delivered_at IS NULL"
    }
    var list: String { "SELECT \(Self.returning) FROM \(table) WHERE queue_name = $1 ORDER BY id LIMIT $2" }
    var find: String { "SELECT \(Self.returning) FROM \(table) WHERE queue_name = $1 AND id = $2" }
    var remove: String { "DELETE FROM \(table) WHERE queue_name = $1 AND id = $2" }
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
