import Foundation
import Messenger
import Scheduler

/// Occurrence records in table `messenger_scheduler_occurrences` of an SQLite file, on a connection of
/// their own: a scheduled message sent to a transport on the same file is stored in the transaction
/// that records its occurrence.
public final class SQLiteOccurrenceLedger: OccurrenceLedger {
    /// The table of the occurrences (shared by every schedule).
    public static let table = "messenger_scheduler_occurrences"
    /// The connection it writes on.
    public let connection: SQLiteConnection

    /// A ledger in the file of `connection`.
    public init(connection: SQLiteConnection) { self.connection = connection }

    private static let create = """
        CREATE TABLE IF NOT EXISTS \(table) (
            schedule TEXT NOT NULL,
            task TEXT NOT NULL,
            occurrence_at INTEGER NOT NULL,
            status TEXT NOT NULL,
            message_id TEXT,
            recorded_at INTEGER NOT NULL,
            PRIMARY KEY (schedule, task, occurrence_at)
        ) WITHOUT ROWID;
        """
    /// Inserts unless this occurrence or a later one of the task is recorded.
    private static let insert = """
        INSERT INTO \(table) (schedule, task, occurrence_at, status, recorded_at)
        SELECT ?1, ?2, ?3, ?4, ?5
        WHERE NOT EXISTS (SELECT 1 FROM \(table) WHERE schedule = ?1 AND task = ?2 AND occurrence_at >= ?3)
        """
    private static let setMessageId = "UPDATE \(table) SET message_id = ?4 WHERE schedule = ?1 AND task = ?2 AND occurrence_at = ?3"
    private static let latest = "SELECT task, max(occurrence_at) FROM \(table) WHERE schedule = ?1 GROUP BY task"
    private static let latestEmitted = "SELECT task, max(occurrence_at) FROM \(table) WHERE schedule = ?1 AND status = 'emitted' GROUP BY task"
    private static let prune = """
        DELETE FROM \(table) WHERE schedule = ?2 AND recorded_at < ?1
        AND occurrence_at < (SELECT max(o.occurrence_at) FROM \(table) o WHERE o.schedule = \(table).schedule AND o.task = \(table).task)
        """

    public func setup() async throws {
        try await connection.once("schema:\(Self.table)") { connection in try connection.execute(Self.create) }
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
        for row in try await connection.query(sql, [.text(schedule)]) {
            guard let task = row[0].string, let milliseconds = row[1].int else { continue }
            result[task] = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        }
        return result
    }

    public func record(_ entries: [OccurrenceEntry], emit: @Sendable ([OccurrenceEntry]) async throws -> [OccurrenceKey: String]) async throws -> [OccurrenceEntry] {
        guard !entries.isEmpty else { return [] }
        try await setup()
        let recordedAt = SQLiteTable.milliseconds(Date())
        let connection = connection
        return try await connection.withTransaction {
            let keys = entries.map { [SQLiteValue.text($0.key.schedule), .text($0.key.task), .integer($0.key.milliseconds)] }
            let statuses = entries.map(\.status.rawValue)
            let inserted = try await connection.run { connection in
                try zip(keys, statuses).map { key, status in
                    try connection.query(Self.insert, key + [.text(status), .integer(recordedAt)])
                    return connection.changes > 0
                }
            }
            let recorded = entries.enumerated().filter { inserted[$0.offset] }.map(\.element)
            let emitted = try await emit(recorded.filter { $0.status == .emitted })
            let ids: [[SQLiteValue]] = recorded.compactMap { entry in
                emitted[entry.key].map { [.text(entry.key.schedule), .text(entry.key.task), .integer(entry.key.milliseconds), .text($0)] }
            }
            let updates = ids
            try await connection.run { connection in
                for binding in updates { try connection.query(Self.setMessageId, binding) }
            }
            return recorded
        }
    }

    public func sharesTransaction(with sender: any Sender) -> Bool {
        (sender as? SQLiteTransport)?.connection.path == connection.path
    }

    public func prune(schedule: String, before date: Date) async throws {
        try await setup()
        try await connection.query(Self.prune, [.integer(SQLiteTable.milliseconds(date)), .text(schedule)])
    }

    /// Closes its connection.
    public func close() async { await connection.close() }
}

extension SQLiteTransport: OccurrenceLedgerProvider {
    /// A ledger on the same file, with a connection of its own so that its transactions never get in
    /// the way of this transport's claims.
    public func makeOccurrenceLedger() -> any OccurrenceLedger {
        SQLiteOccurrenceLedger(connection: SQLiteConnection(path: connection.path, busyTimeoutMilliseconds: connection.busyTimeoutMilliseconds, synchronous: connection.synchronous))
    }
}
