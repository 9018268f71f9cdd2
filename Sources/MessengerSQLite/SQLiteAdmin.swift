import Foundation
import Messenger

/// What operators and commands do with an `sqlite://` transport's messages: list, look up, claim and
/// remove one by id, count; the stop-workers signal; the start-up check.
struct SQLiteAdmin: Sendable {
    let table: SQLiteTable

    func list(limit: Int) async throws -> [Envelope] {
        try await table.prepare()
        let rows = try await table.connection.query(table.schema.list, [.text(table.options.queueName), .integer(Int64(limit))])
        return rows.map(table.envelope(from:))
    }

    func find(id: String) async throws -> Envelope? {
        guard let number = Int64(id) else { return nil }
        try await table.prepare()
        return try await table.connection.query(table.schema.find, [.text(table.options.queueName), .integer(number)]).first.map(table.envelope(from:))
    }

    /// Claims the message unless a live claim holds it (one younger than `redeliver_timeout`).
    func claim(id: String) async throws -> ClaimByIdResult {
        guard let number = Int64(id) else { return .missing }
        try await table.prepare()
        let current = table.nowMilliseconds
        let (schema, queue, token, expired) = (table.schema, table.options.queueName, table.claimToken, table.expiredClaimLimit(now: current))
        let tracked = table.options.records.writesRecords
        let outcome = try await table.connection.transaction { connection -> (row: [SQLiteValue]?, exists: Bool) in
            if let row = try connection.query(schema.claimById, [.integer(number), .text(queue), .integer(current), .text(token), .integer(expired)]).first {
                if tracked { try SQLiteRecordWrites.started([row], now: current, on: connection) }
                return (row, true)
            }
            return (nil, !(try connection.query(schema.exists, [.integer(number), .text(queue)]).isEmpty))
        }
        if let row = outcome.row { return .claimed(table.envelope(from: row)) }
        return outcome.exists ? .held : .missing
    }

    /// Removes the message unless a live claim holds it.
    func remove(id: String) async throws -> RemoveByIdResult {
        guard let number = Int64(id) else { return .missing }
        try await table.prepare()
        let current = table.nowMilliseconds
        let expired = table.expiredClaimLimit(now: current)
        let (schema, queue) = (table.schema, table.options.queueName)
        return try await table.connection.transaction { connection in
            if let removed = try connection.query(schema.removeById, [.integer(number), .text(queue), .integer(expired)]).first {
                try SQLiteRecordWrites.cancelled(removed[0].string, now: current, why: "removed by an operator", on: connection)
                return .removed
            }
            return try connection.query(schema.exists, [.integer(number), .text(queue)]).isEmpty ? .missing : .held
        }
    }

    func statistics() async throws -> TransportStatistics {
        try await table.prepare()
        let current = table.now()
        // A count over a large backlog takes tens of milliseconds: on the connection for long reads,
        // so that claims, sends and lookups by id do not wait behind it.
        let row = try await table.statisticsConnection.query(table.schema.indexedStatistics, [.text(table.options.queueName), .integer(SQLiteTable.milliseconds(current))])[0]
        let (ready, delayed, inFlight) = (Int(row[0].int ?? 0), Int(row[1].int ?? 0), Int(row[2].int ?? 0))
        return TransportStatistics(
            total: ready + delayed + inFlight, ready: ready, delayed: delayed, inFlight: inFlight,
            oldestAgeSeconds: row[3].int.map { current.timeIntervalSince1970 - Double($0) / 1000 }
        )
    }

    func requestWorkersStop(at date: Date) async throws {
        try await table.prepare()
        try await table.connection.query(SQLiteSchema.requestStop, [.integer(SQLiteTable.milliseconds(date))])
    }

    func lastStopRequest() async throws -> Date? {
        try await table.prepare()
        let rows = try await table.connection.query(SQLiteSchema.lastStop)
        return rows.first?[0].int.map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    /// Opens the file, sets the table up (with `auto_setup`) and writes once, rolled back: a file that can never work
    /// (cannot be opened or created, read-only, not a database) is an error; a lock held by another
    /// process is left to the worker's retries.
    func checkAtStartup() async throws {
        do {
            try await table.prepare()
            try await table.connection.transaction { connection in
                // A real write, rolled back: a read-only file refuses it.
                try connection.query("INSERT INTO messenger_worker_signals (name, requested_at) VALUES ('startup check', 0) ON CONFLICT (name) DO NOTHING")
                throw StartupProbeDone()
            }
        } catch is StartupProbeDone {
            return
        } catch let error as SQLiteError where error.isPermanent {
            throw error
        } catch {
            return
        }
    }

    private struct StartupProbeDone: Error {}
}
