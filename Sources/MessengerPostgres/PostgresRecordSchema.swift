import Foundation
import Messenger

/// The SQL of the status records, worker records and paused queues that the transports of one
/// PostgreSQL database share (`messenger_records`, `messenger_workers`, `messenger_paused_queues`),
/// and the steps that write records inside the transport's own statements (data-modifying CTEs), so
/// that a record and its message never disagree.
enum PostgresRecordSchema {
    static let create = """
        CREATE TABLE IF NOT EXISTS messenger_records (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            transport TEXT NOT NULL,
            queue_name TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INT NOT NULL DEFAULT 0,
            created_at TIMESTAMPTZ NOT NULL,
            available_at TIMESTAMPTZ NOT NULL,
            started_at TIMESTAMPTZ NULL,
            finished_at TIMESTAMPTZ NULL,
            worker_id TEXT NULL,
            progress DOUBLE PRECISION NULL,
            progress_note TEXT NULL,
            result TEXT NULL,
            error_type TEXT NULL,
            error_message TEXT NULL,
            error_handler TEXT NULL,
            origin TEXT NULL,
            cancel_requested BOOLEAN NOT NULL DEFAULT false,
            row_id BIGINT NULL,
            body TEXT NULL
        ) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0);
        CREATE INDEX IF NOT EXISTS messenger_records_created ON messenger_records (created_at, id);
        CREATE INDEX IF NOT EXISTS messenger_records_status ON messenger_records (status, created_at, id);
        CREATE INDEX IF NOT EXISTS messenger_records_type ON messenger_records (type, created_at, id);
        CREATE TABLE IF NOT EXISTS messenger_credentials (
            kind TEXT NOT NULL, key TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL, secret TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(), expires_at TIMESTAMPTZ NULL, PRIMARY KEY (kind, key)
        );
        CREATE TABLE IF NOT EXISTS messenger_workers (
            id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INT NOT NULL, receivers TEXT NOT NULL,
            started_at TIMESTAMPTZ NOT NULL, heartbeat_at TIMESTAMPTZ NOT NULL, stopped_at TIMESTAMPTZ NULL,
            in_hand INT NOT NULL DEFAULT 0, handled BIGINT NOT NULL DEFAULT 0, failed BIGINT NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS messenger_paused_queues (queue_name TEXT PRIMARY KEY, paused_at TIMESTAMPTZ NOT NULL DEFAULT now());
        CREATE TABLE IF NOT EXISTS messenger_throughput (
            minute TIMESTAMPTZ NOT NULL, worker_id TEXT NOT NULL, completed BIGINT NOT NULL DEFAULT 0, failed BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (minute, worker_id)
        );
        """

    static let columns = """
        id, type, transport, queue_name, status, attempts, (extract(epoch FROM created_at) * 1000)::bigint,
        (extract(epoch FROM available_at) * 1000)::bigint, (extract(epoch FROM started_at) * 1000)::bigint,
        (extract(epoch FROM finished_at) * 1000)::bigint, worker_id, progress, progress_note, result, error_type, error_message,
        error_handler, origin, cancel_requested, row_id, body
        """

    /// Rows of paused queues are not claimed.
    static let notPaused = "queue_name NOT IN (SELECT queue_name FROM messenger_paused_queues)"

    /// The records of messages just stored, made or brought up to date: `source` is a CTE that
    /// returns the stored rows (id, message_id, queue_name, created_at, available_at, body); the
    /// records' fields come as nine parallel arrays from parameter `$first` (see `RecordArrays`).
    static func stored(from source: String, first n: Int) -> String {
        """
        recorded AS (
            INSERT INTO messenger_records AS r (id, type, transport, queue_name, status, created_at, available_at, error_type, error_message,
                error_handler, origin, row_id, body, attempts)
            SELECT s.message_id, x.type, x.transport, s.queue_name, x.status, date_trunc('milliseconds', s.created_at), greatest(s.available_at, s.created_at), x.error_type, x.error_message,
                x.error_handler, x.origin, s.id, s.body, coalesce(x.attempts::int, 0)
            FROM \(source) s JOIN unnest($\(n)::text[], $\(n + 1)::text[], $\(n + 2)::text[], $\(n + 3)::text[], $\(n + 4)::text[],
                $\(n + 5)::text[], $\(n + 6)::text[], $\(n + 7)::text[], $\(n + 8)::text[])
                AS x(id, type, transport, status, origin, error_type, error_message, error_handler, attempts) ON x.id = s.message_id
            WHERE x.type IS NOT NULL
            \(upsert)
        )
        """
    }

    /// What storing a message whose record exists already changes in it (a retry, a parked copy).
    static let upsert = """
        ON CONFLICT (id) DO UPDATE SET transport = excluded.transport, queue_name = excluded.queue_name, status = excluded.status,
                attempts = greatest(r.attempts, excluded.attempts),
                available_at = excluded.available_at, row_id = excluded.row_id, body = excluded.body,
                finished_at = CASE WHEN excluded.status = 'failed' THEN now() END,
                error_type = coalesce(excluded.error_type, r.error_type), error_message = coalesce(excluded.error_message, r.error_message),
                error_handler = coalesce(excluded.error_handler, r.error_handler), progress = NULL, progress_note = NULL, cancel_requested = false
        """

    /// The records of a batch of rows stored from the CTE `src` (one row per message: its row id
    /// `id`, `b` body, `q` queue, `d` delay, `i` public id, and the record's fields from
    /// `RecordArrays`, `type` NULL for a message without a record). No join: a batch of any size
    /// costs one index look-up per record.
    static let storedFromSource = """
        recorded AS (
            INSERT INTO messenger_records AS r (id, type, transport, queue_name, status, created_at, available_at, error_type, error_message,
                error_handler, origin, row_id, body, attempts)
            SELECT i, type, transport, q, status, date_trunc('milliseconds', now()), now() + d * interval '1 millisecond', error_type, error_message,
                error_handler, origin, id, b, coalesce(attempts::int, 0)
            FROM src WHERE type IS NOT NULL
            \(upsert)
        )
        """

    /// The columns `unnest` yields for `RecordArrays` (after the row's own).
    static let recordColumns = "x_id, type, transport, status, origin, error_type, error_message, error_handler, attempts"

    /// `unnest`'s arguments for `RecordArrays` from parameter `$first`.
    static func recordArguments(first n: Int) -> String {
        (n..<n + 9).map { "$\($0)::text[]" }.joined(separator: ", ")
    }

    /// Claimed rows (`source`: a CTE returning message_id) start a new attempt by worker `$worker`.
    static func started(from source: String, worker n: Int) -> String {
        """
        started AS (
            UPDATE messenger_records r SET status = 'running', attempts = r.attempts + 1, started_at = now(), finished_at = NULL,
                worker_id = $\(n), progress = NULL, progress_note = NULL
            FROM \(source) c WHERE r.id = c.message_id
        )
        """
    }

    /// Acknowledged rows of `table` held by owner $1, deleted with their outcomes: the claims ($2
    /// ids, $3 delivery counts) and eight arrays parallel to them from `$first` (`OutcomeArrays`:
    /// statuses, NULL for no outcome; results; error types, texts, handlers; attempt, its start in
    /// epoch ms and its worker, 0 or NULL when unknown); then their records finished. The outcomes
    /// travel with the deleted rows (`DELETE … USING … RETURNING`), so the record update is one
    /// index look-up per message, whatever the batch size.
    static func acknowledged(table: String, first n: Int) -> String {
        """
        acked AS (
            DELETE FROM \(table) t USING unnest($2::bigint[], $3::int[], $\(n)::text[], $\(n + 1)::text[], $\(n + 2)::text[], $\(n + 3)::text[],
                $\(n + 4)::text[], $\(n + 5)::bigint[], $\(n + 6)::bigint[], $\(n + 7)::text[])
                AS o(id, deliveries, status, result, error_type, error_message, error_handler, attempt, started, worker)
            WHERE t.claimed_by = $1 AND t.id = o.id AND t.delivery_count = o.deliveries
            RETURNING t.id, t.message_id, o.status, o.result, o.error_type, o.error_message, o.error_handler, o.attempt, o.started, o.worker
        ),
        finished AS (
            UPDATE messenger_records r SET status = a.status, finished_at = now(), result = a.result, row_id = NULL,
                error_type = coalesce(a.error_type, r.error_type), error_message = coalesce(a.error_message, r.error_message),
                error_handler = coalesce(a.error_handler, r.error_handler), attempts = coalesce(nullif(a.attempt, 0)::int, r.attempts),
                started_at = coalesce(to_timestamp(nullif(a.started, 0) / 1000.0), r.started_at), worker_id = coalesce(a.worker, r.worker_id)
            FROM acked a WHERE r.id = a.message_id AND a.status IS NOT NULL
        )
        """
    }

    /// Given-back claims (`source`: a CTE returning message_id) wait again.
    static func released(from source: String) -> String {
        """
        released AS (
            UPDATE messenger_records r SET status = CASE WHEN r.available_at > now() THEN 'scheduled' ELSE 'queued' END
            FROM \(source) c WHERE r.id = c.message_id AND r.status = 'running'
        )
        """
    }

    /// Started attempts (parallel arrays: $1 ids, $2 attempts, $3 starts in epoch ms, $4 workers),
    /// written by the worker's heartbeat: only a waiting record becomes `running`.
    static let recordStarts = """
        UPDATE messenger_records r SET status = 'running', attempts = s.attempt, started_at = to_timestamp(s.started / 1000.0), finished_at = NULL,
            worker_id = s.worker
        FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[]) AS s(id, attempt, started, worker)
        WHERE r.id = s.id AND r.status IN ('queued', 'scheduled', 'retrying')
        """

    /// Removed waiting rows (`source`: a CTE returning message_id) end cancelled, saying why ($why).
    static func cancelled(from source: String, why n: Int) -> String {
        """
        cancelled AS (
            UPDATE messenger_records r SET status = 'cancelled', finished_at = now(), row_id = NULL,
                error_message = coalesce($\(n)::text, r.error_message)
            FROM \(source) c WHERE r.id = c.message_id
        )
        """
    }

    static let find = "SELECT \(columns) FROM messenger_records WHERE id = $1"
    static let findForUpdate = "SELECT \(columns) FROM messenger_records WHERE id = $1 FOR UPDATE"
    static let requestCancel = "UPDATE messenger_records SET cancel_requested = true WHERE id = $1"
    static let cancelledById = "UPDATE messenger_records SET status = 'cancelled', finished_at = now(), row_id = NULL WHERE id = $1"
    static let progress = """
        UPDATE messenger_records r SET progress = p.fraction::double precision, progress_note = p.note
        FROM unnest($1::text[], $2::text[], $3::text[]) AS p(id, fraction, note) WHERE r.id = p.id AND r.status = 'running'
        """
    static let cancellationRequests = "SELECT id FROM messenger_records WHERE id = ANY($1::text[]) AND cancel_requested"

    /// A page, newest first, filtered as the query says; continues after its cursor.
    static func page(_ query: MessageRecordQuery) -> (sql: String, parameters: [PostgresValue]) {
        var conditions: [String] = []
        var parameters: [PostgresValue] = []
        func bind(_ value: PostgresValue) -> String {
            parameters.append(value)
            return "$\(parameters.count)"
        }
        if let status = query.status { conditions.append("status = " + bind(.text(status.rawValue))) }
        if let type = query.type { conditions.append("type = " + bind(.text(type))) }
        if let queue = query.queue { conditions.append("queue_name = " + bind(.text(queue))) }
        if let since = query.since { conditions.append("created_at >= to_timestamp(\(bind(.double(since.timeIntervalSince1970)))::double precision)") }
        if let search = query.search { conditions.append("strpos(body, \(bind(.text(search)))) > 0") }
        if let after = query.after {
            let at = "to_timestamp(\(bind(.double(Double(after.createdAtMilliseconds) / 1000)))::double precision)"
            conditions.append("(created_at, id) < (\(at), \(bind(.text(after.id))))")
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let limit = bind(.int(Int64(max(1, min(query.limit, 1000)))))
        return ("SELECT \(columns) FROM messenger_records \(filter) ORDER BY created_at DESC, id DESC LIMIT \(limit)", parameters)
    }

    /// Finished records of transport $1 (queue $5) with status $2 finished more than $3 ms ago, at most $4. A
    /// record finishes after it is created, so the (status, created_at) index bounds the search: no
    /// index of its own for retention, one index less to write at every finish.
    static let pruneByAge = """
        DELETE FROM messenger_records WHERE id IN (
            SELECT id FROM messenger_records WHERE status = $2 AND created_at < now() - $3 * interval '1 millisecond'
            AND finished_at < now() - $3 * interval '1 millisecond' AND transport = $1 AND queue_name = $5
            LIMIT $4 FOR UPDATE SKIP LOCKED)
        """
    /// Transport $1's (queue $3) newest completed record beyond the $2 newest ones: its creation time and id.
    static let countThreshold = """
        SELECT created_at, id FROM messenger_records WHERE status = 'completed' AND transport = $1 AND queue_name = $3
        ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1
        """
    /// Transport $1's (queue $5) completed records at or before ($2, $3) (`countThreshold`), at most $4.
    static let pruneByCount = """
        DELETE FROM messenger_records WHERE id IN (
            SELECT id FROM messenger_records WHERE status = 'completed' AND (created_at, id) <= ($2::timestamptz, $3) AND transport = $1
            AND queue_name = $5 LIMIT $4 FOR UPDATE SKIP LOCKED)
        """

    /// The worker's row renewed, and its attempts since the previous heartbeat ($8 handled and $9
    /// failed are totals since it started) added to its row of the current minute: each worker
    /// writes rows of its own, so that workers never wait for one another here.
    static let heartbeat = """
        WITH previous AS (SELECT handled, failed FROM messenger_workers WHERE id = $1),
        renewed AS (
            INSERT INTO messenger_workers (id, host, pid, receivers, started_at, heartbeat_at, stopped_at, in_hand, handled, failed)
            VALUES ($1, $2, $3, $4, to_timestamp($5::double precision), now(), CASE WHEN $6::boolean THEN now() END, $7, $8, $9)
            ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, stopped_at = excluded.stopped_at, in_hand = excluded.in_hand,
                handled = excluded.handled, failed = excluded.failed, receivers = excluded.receivers
            RETURNING id
        )
        INSERT INTO messenger_throughput (minute, worker_id, completed, failed)
        SELECT date_trunc('minute', now()), r.id, ($8::bigint - $9::bigint) - coalesce(p.handled - p.failed, 0), $9::bigint - coalesce(p.failed, 0)
        FROM renewed r LEFT JOIN previous p ON true
        WHERE $8::bigint > coalesce(p.handled, 0)
        ON CONFLICT (minute, worker_id) DO UPDATE SET completed = messenger_throughput.completed + excluded.completed,
            failed = messenger_throughput.failed + excluded.failed
        """
    static let workers = """
        SELECT id, host, pid, receivers, extract(epoch FROM started_at), extract(epoch FROM heartbeat_at), extract(epoch FROM stopped_at),
            in_hand, handled, failed, extract(epoch FROM now()) FROM messenger_workers ORDER BY started_at DESC
        """
    static let forgetWorkers = "DELETE FROM messenger_workers WHERE coalesce(stopped_at, heartbeat_at) < to_timestamp($1::double precision)"
    static let paused = "SELECT queue_name FROM messenger_paused_queues"
    static let pause = "INSERT INTO messenger_paused_queues (queue_name) VALUES ($1) ON CONFLICT (queue_name) DO NOTHING"
    /// Resuming wakes the queue's idle workers (they LISTEN on the table's channel).
    static func resume(channel: String) -> String {
        "WITH gone AS (DELETE FROM messenger_paused_queues WHERE queue_name = $1) SELECT pg_notify('\(channel)', $1)"
    }

    /// Finished records among $1 deleted (a waiting or running one stays).
    static let forget = """
        DELETE FROM messenger_records WHERE id = ANY($1::text[]) AND status IN ('completed', 'failed', 'cancelled')
        """
    /// Completed and failed records created and finished since $1 (epoch seconds), counted by bucket of $2 seconds.
    /// Attempts finished per bucket of $2 seconds since $1, from the workers' per-minute rows.
    static let finishedCounts = """
        SELECT (floor(extract(epoch FROM minute) / $2) * $2 * 1000)::bigint AS bucket, sum(completed)::bigint, sum(failed)::bigint
        FROM messenger_throughput WHERE minute >= date_trunc('minute', to_timestamp($1::double precision)) GROUP BY bucket
        """
    static let forgetThroughput = "DELETE FROM messenger_throughput WHERE minute < now() - $1 * interval '1 day'"
    /// Wait and run times (ms) of the newest $1 records of each finished status.
    static let recentTimings = """
        SELECT (extract(epoch FROM started_at - available_at) * 1000)::bigint, (extract(epoch FROM finished_at - started_at) * 1000)::bigint
        FROM (SELECT * FROM (SELECT available_at, started_at, finished_at FROM messenger_records WHERE status = 'completed' ORDER BY created_at DESC, id DESC LIMIT $1) c
            UNION ALL SELECT * FROM (SELECT available_at, started_at, finished_at FROM messenger_records WHERE status = 'failed' ORDER BY created_at DESC, id DESC LIMIT $1) f) t
        WHERE started_at IS NOT NULL AND finished_at IS NOT NULL
        """

    static let saveCredential = """
        INSERT INTO messenger_credentials (kind, key, name, role, secret, expires_at)
        VALUES ($1, $2, $3, $4, $5, to_timestamp($6::double precision))
        ON CONFLICT (kind, key) DO UPDATE SET name = excluded.name, role = excluded.role, secret = excluded.secret, expires_at = excluded.expires_at,
            created_at = now()
        """
    static let credentialColumns = "kind, key, name, role, secret, extract(epoch FROM created_at), extract(epoch FROM expires_at)"
    static let credential = """
        SELECT \(credentialColumns) FROM messenger_credentials WHERE kind = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > now())
        """
    static let credentials = """
        SELECT \(credentialColumns) FROM messenger_credentials WHERE kind = $1 AND (expires_at IS NULL OR expires_at > now()) ORDER BY name, created_at
        """
    static let deleteCredential = """
        WITH expired AS (DELETE FROM messenger_credentials WHERE expires_at <= now())
        DELETE FROM messenger_credentials WHERE kind = $1 AND key = $2
        """
}
