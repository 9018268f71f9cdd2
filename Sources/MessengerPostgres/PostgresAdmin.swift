import Foundation
import Logging
import Messenger

/// What operators and commands do with a `postgresql://` transport's messages: list, look up, claim
/// and remove one by id, count; the stop-workers signal; the start-up check.
struct PostgresAdmin: Sendable {
    let table: PostgresTable

    func list(limit: Int) async throws -> [Envelope] {
        try await table.prepare()
        return try await table.connection.query(table.schema.list, [.text(table.options.queueName), .int(Int64(min(limit, Int(Int32.max))))]).rows
            .map(table.envelope(from:))
    }

    func find(id: String) async throws -> Envelope? {
        guard let number = Int64(id) else { return nil }
        try await table.prepare()
        return try await table.connection.query(table.schema.find, [.text(table.options.queueName), .int(number)]).rows.first.map(table.envelope(from:))
    }

    /// Claims the message unless a live claim holds it (a worker alive and within `redeliver_timeout`).
    func claim(id: String) async throws -> ClaimByIdResult {
        guard let number = Int64(id) else { return .missing }
        try await table.prepare()
        try await table.startLease()
        let (schema, held) = (table.schema, table.held)
        let parameters: [PostgresValue] = [.int(number), .text(table.options.queueName), .int(Int64(table.options.redeliverTimeoutSeconds)), .int(table.owner)]
        let worker: [PostgresValue] = schema.tracked ? [.text(WorkerIdentity.id)] : []
        let outcome = try await table.connection.run { connection -> (row: [String?]?, exists: Bool) in
            held.claiming()
            if let row = try connection.query(schema.claimById, parameters + worker).rows.first {
                held.hold(PostgresSchema.claims(of: [row], deliveriesIn: 3))
                return (row, true)
            }
            return (nil, try connection.query(schema.exists, Array(parameters[0...1])).count > 0)
        }
        if let row = outcome.row { return .claimed(table.envelope(from: row)) }
        return outcome.exists ? .held : .missing
    }

    /// Removes the message unless a live claim holds it.
    func remove(id: String) async throws -> RemoveByIdResult {
        guard let number = Int64(id) else { return .missing }
        try await table.prepare()
        let schema = table.schema
        let parameters: [PostgresValue] = [.int(number), .text(table.options.queueName), .int(Int64(table.options.redeliverTimeoutSeconds))]
        let why: [PostgresValue] = schema.tracked ? [.text("removed by an operator")] : []
        return try await table.connection.run { connection in
            if try connection.query(schema.removeById, parameters + why).count > 0 { return .removed }
            return try connection.query(schema.exists, Array(parameters[0...1])).count > 0 ? .held : .missing
        }
    }

    /// Exact counts for a queue of up to `TransportStatistics.exactUpTo` messages; past that, the
    /// planner's estimates of the waiting ones (a count would read the whole queue: 0.1 s a million)
    /// and the exact number in flight.
    func statistics() async throws -> TransportStatistics {
        try await table.prepare()
        let (schema, queue) = (table.schema, PostgresValue.text(table.options.queueName))
        let bounded = Int(try await table.statisticsConnection.query(schema.boundedCount, [queue]).rows[0][0] ?? "0") ?? 0
        if bounded <= TransportStatistics.exactUpTo {
            let row = try await table.statisticsConnection.query(schema.statistics, [queue]).rows[0]
            func int(_ index: Int) -> Int { Int(row[index] ?? "0") ?? 0 }
            return TransportStatistics(total: int(0), ready: int(1), delayed: int(2), inFlight: int(3), oldestAgeSeconds: row[4].flatMap(Double.init))
        }
        func estimate(due: Bool) async throws -> Int {
            let plan = try await table.statisticsConnection.query(schema.waitingEstimate(due: due), [queue], prepare: false).rows.first?.first ?? nil
            guard let data = plan?.data(using: .utf8), let json = try JSONSerialization.jsonObject(with: data) as? [[String: Any]],
                  let rows = (json.first?["Plan"] as? [String: Any])?["Plan Rows"] as? NSNumber else { return 0 }
            return rows.intValue
        }
        let (ready, delayed) = (try await estimate(due: true), try await estimate(due: false))
        let row = try await table.connection.query(schema.inFlightAndOldest, [queue]).rows[0]
        let inFlight = Int(row[0] ?? "0") ?? 0
        return TransportStatistics(total: ready + delayed + inFlight, ready: ready, delayed: delayed, inFlight: inFlight,
                                   oldestAgeSeconds: row[1].flatMap(Double.init), estimated: true)
    }

    func requestWorkersStop(at date: Date) async throws {
        try await table.prepare()
        try await table.connection.query(PostgresSchema.requestStop, [.double(date.timeIntervalSince1970)])
    }

    func lastStopRequest() async throws -> Date? {
        try await table.prepare()
        return try await table.connection.query(PostgresSchema.lastStop).rows.first?.first.flatMap { $0 }.flatMap(Double.init)
            .map { Date(timeIntervalSince1970: $0) }
    }

    /// A transport that can never work (wrong password, unknown database, a connection parameter
    /// libpq refuses) is an error; a server that cannot be reached yet is left to the worker's retries.
    func checkAtStartup() async throws {
        do {
            try await table.connection.connect()
            try await table.prepare()
        } catch let error as PostgresError where error.isPermanent {
            throw error
        } catch {
            table.logger.warning("Transport \(table.name) is not reachable yet; the worker will retry: \(error)")
        }
    }
}
