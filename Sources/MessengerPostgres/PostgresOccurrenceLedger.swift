import Foundation
import Messenger
import Scheduler

/// Occurrence records in table `messenger_scheduler_occurrences` of a PostgreSQL database, on a
/// connection of their own: a scheduled message sent to a transport of the same database is stored in
/// the transaction that records its occurrence. One statement records a whole tick.
public final class PostgresOccurrenceLedger: OccurrenceLedger {
    /// The table of the occurrences (shared by every schedule).
    public static let table = "messenger_scheduler_occurrences"
    /// The connection it writes on.
    public let connection: PostgresConnection

    /// A ledger in the database of `connection`.
    public init(connection: PostgresConnection) { self.connection = connection }

    private static let create = """
        SELECT pg_advisory_xact_lock(hashtext('messenger setup'));
        CREATE TABLE IF NOT EXISTS \(table) (
            schedule TEXT NOT NULL,
            task TEXT NOT NULL,
            occurrence_at TIMESTAMPTZ NOT NULL,
            status TEXT NOT NULL,
            message_id TEXT NULL,
            recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (schedule, task, occurrence_at)
        );
        """
    private static let at = "(timestamptz 'epoch' + e.ms * interval '1 millisecond')"
    /// Inserts each entry unless it, or a later occurrence of its task, is recorded. The latest record
    /// of the tasks at hand is read in one pass (not once per entry, which a plan made while the table
    /// was small would turn into a scan per entry).
    private static let insert = """
        WITH e AS (SELECT * FROM unnest($2::text[], $3::bigint[], $4::text[]) WITH ORDINALITY AS e(task, ms, status, n)),
        latest AS (SELECT task, max(occurrence_at) AS at FROM \(table) WHERE schedule = $1 AND task = ANY($2::text[]) GROUP BY task)
        INSERT INTO \(table) AS t (schedule, task, occurrence_at, status)
        SELECT $1, e.task, \(at), e.status FROM e LEFT JOIN latest ON latest.task = e.task
        WHERE latest.at IS NULL OR latest.at < \(at)
        ORDER BY e.n
        ON CONFLICT DO NOTHING
        RETURNING task, (extract(epoch FROM occurrence_at) * 1000)::bigint
        """
    private static let setMessageIds = """
        UPDATE \(table) t SET message_id = e.id FROM unnest($2::text[], $3::bigint[], $4::text[]) AS e(task, ms, id)
        WHERE t.schedule = $1 AND t.task = e.task AND t.occurrence_at = \(at)
        """
    private static let latest = "SELECT task, (extract(epoch FROM max(occurrence_at)) * 1000)::bigint FROM \(table) WHERE schedule = $1 GROUP BY task"
    private static let latestEmitted = "SELECT task, (extract(epoch FROM max(occurrence_at)) * 1000)::bigint FROM \(table) WHERE schedule = $1 AND status = 'emitted' GROUP BY task"
    private static let prune = """
        DELETE FROM \(table) t WHERE schedule = $2 AND recorded_at < (timestamptz 'epoch' + $1::bigint * interval '1 millisecond')
        AND occurrence_at < (SELECT max(o.occurrence_at) FROM \(table) o WHERE o.schedule = t.schedule AND o.task = t.task)
        """
    /// Serializes the writers of one schedule: each statement after it sees every record committed before.
    private static let lock = "SELECT pg_advisory_xact_lock(hashtext('messenger schedule'), hashtext($1))"

    public func setup() async throws {
        let present = try await connection.query("SELECT to_regclass($1) IS NOT NULL", [.text(Self.table)], prepare: false)
        if present.rows.first?.first == "t" { return }
        try await connection.transaction { connection in try connection.execute(Self.create) }
    }

    public func checkpoints(schedule: String) async throws -> [String: Date] {
        try await dates(Self.latest, schedule)
    }

    public func lastEmitted(schedule: String) async throws -> [String: Date] {
        try await dates(Self.latestEmitted, schedule)
    }

    private func dates(_ sql: String, _ schedule: String) async throws -> [String: Date] {
        try await setup()
        var result: [String: Date] = [:]
        for row in try await connection.query(sql, [.text(schedule)]).rows {
            guard let task = row[0], let milliseconds = row[1].flatMap({ Int64($0) }) else { continue }
            result[task] = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        }
        return result
    }

    public func record(_ entries: [OccurrenceEntry], emit: @Sendable ([OccurrenceEntry]) async throws -> [OccurrenceKey: String]) async throws -> [OccurrenceEntry] {
        guard let schedule = entries.first?.key.schedule else { return [] }
        try await setup()
        // One order for every process, so that two ticks recording the same keys cannot deadlock.
        let sorted = entries.sorted { ($0.key.task, $0.key.milliseconds) < ($1.key.task, $1.key.milliseconds) }
        let connection = connection
        return try await connection.withTransaction {
            try await connection.query(Self.lock, [.text(schedule)])
            let inserted = try await connection.query(Self.insert, [
                .text(schedule), .array(sorted.map(\.key.task)), .integers(sorted.map(\.key.milliseconds)), .array(sorted.map(\.status.rawValue)),
            ])
            let keys = Set(inserted.rows.compactMap { row in row[1].flatMap { Int64($0) }.map { "\(row[0] ?? "")@\($0)" } })
            let recorded = entries.filter { keys.contains("\($0.key.task)@\($0.key.milliseconds)") }
            let emitted = try await emit(recorded.filter { $0.status == .emitted })
            let ids = recorded.compactMap { entry in emitted[entry.key].map { (entry.key, $0) } }
            if !ids.isEmpty {
                try await connection.query(Self.setMessageIds, [
                    .text(schedule), .array(ids.map(\.0.task)), .integers(ids.map(\.0.milliseconds)), .array(ids.map(\.1)),
                ])
            }
            return recorded
        }
    }

    public func sharesTransaction(with sender: any Sender) -> Bool {
        (sender as? PostgresTransport)?.connection.info.databaseIdentity == connection.info.databaseIdentity
    }

    public func prune(schedule: String, before date: Date) async throws {
        try await setup()
        let connection = connection
        try await connection.withTransaction {
            try await connection.query(Self.lock, [.text(schedule)])
            try await connection.query(Self.prune, [.int(Int64((date.timeIntervalSince1970 * 1000).rounded())), .text(schedule)])
        }
    }

    /// Closes its connection.
    public func close() async { await connection.close() }
}

extension PostgresTransport: OccurrenceLedgerProvider {
    /// A ledger on the same database, with a connection of its own (through a transaction pooler,
    /// nothing outlives its transactions). Its ticks wait for each other's lock without a timeout.
    public func makeOccurrenceLedger() -> any OccurrenceLedger {
        PostgresOccurrenceLedger(connection: PostgresConnection(info: connection.info, settings: PostgresSessionSettings(transactionPooled: connection.settings.transactionPooled)))
    }
}
