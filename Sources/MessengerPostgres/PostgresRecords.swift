import Foundation
import Messenger

/// The status records, worker records and paused queues of a `postgresql://` transport's database:
/// read, cancel, progress, retention; written by the sender and receiver in their own statements.
struct PostgresRecords: Sendable {
    let table: PostgresTable

    func record(id: String) async throws -> MessageRecord? {
        try await table.prepare()
        return try await table.connection.query(PostgresRecordSchema.find, [.text(id)]).rows.first.map(Self.record(from:))
    }

    func records(matching query: MessageRecordQuery) async throws -> [MessageRecord] {
        try await table.prepare()
        let (sql, parameters) = PostgresRecordSchema.page(query)
        // Filters vary: an unnamed statement, not one prepared per shape.
        return try await table.connection.query(sql, parameters, prepare: false).rows.map(Self.record(from:))
    }

    /// A waiting message is removed with its record marked in one transaction (its record locked
    /// first, so that a claim cannot slip in between); a running one is flagged for its worker (and
    /// its worker woken: a NOTIFY on the table's channel).
    func cancel(id: String) async throws -> CancelResult {
        try await table.prepare()
        let schema = table.schema
        return try await table.connection.transaction { connection -> CancelResult in
            guard let row = try connection.query(PostgresRecordSchema.findForUpdate, [.text(id)]).rows.first else { return .missing }
            let record = Self.record(from: row)
            if record.status.isFinished { return .alreadyFinished(record.status) }
            if record.status != .running, let rowId = record.rowId.flatMap(Int64.init),
               try connection.query(schema.removeWaiting, [.int(rowId), .text(id)]).count > 0 {
                try connection.query(PostgresRecordSchema.cancelledById, [.text(id)])
                return .cancelled
            }
            try connection.query(PostgresRecordSchema.requestCancel, [.text(id)])
            return .cancelling
        }
    }

    func recordStarts(_ starts: [MessageStart]) async throws {
        guard !starts.isEmpty else { return }
        try await table.connection.query(PostgresRecordSchema.recordStarts, [
            .array(starts.map(\.messageId)), .integers(starts.map { Int64($0.attempt) }), .integers(starts.map(\.startedAtMilliseconds)),
            .array(starts.map(\.workerId)),
        ])
    }

    func reportProgress(_ reports: [ProgressReport]) async throws {
        guard !reports.isEmpty else { return }
        try await table.connection.query(PostgresRecordSchema.progress, [
            .array(reports.map(\.messageId)), .array(reports.map { String($0.fraction) }), .optionalArray(reports.map(\.note)),
        ])
    }

    func cancellationRequests(among ids: [String]) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return Set(try await table.connection.query(PostgresRecordSchema.cancellationRequests, [.array(ids)]).rows.compactMap { $0[0] })
    }

    func prune(_ retention: RecordRetention, limit: Int) async throws -> Int {
        try await table.prepare()
        let (transport, queue) = (table.name, PostgresValue.text(table.options.queueName))
        var pruned = 0
        for (status, age) in [(MessageStatus.completed, retention.completed), (.cancelled, retention.completed), (.failed, retention.failed)] where pruned < limit {
            pruned += try await table.connection.query(PostgresRecordSchema.pruneByAge, [
                .text(transport), .text(status.rawValue), .int(age.wholeMilliseconds), .int(Int64(limit - pruned)), queue,
            ]).affected
        }
        if let maximum = retention.maxFinished, pruned < limit,
           let threshold = try await table.connection.query(PostgresRecordSchema.countThreshold, [.text(transport), .int(Int64(maximum)), queue]).rows.first,
           let created = threshold[0], let id = threshold[1] {
            pruned += try await table.connection.query(PostgresRecordSchema.pruneByCount, [.text(transport), .text(created), .text(id), .int(Int64(limit - pruned)), queue]).affected
        }
        return pruned
    }

    func forget(ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        try await table.prepare()
        return try await table.connection.query(PostgresRecordSchema.forget, [.array(ids)]).affected
    }

    func finishedCounts(since: Date, bucketSeconds: Int) async throws -> [FinishedCount] {
        try await table.prepare()
        let rows = try await table.statisticsConnection.query(PostgresRecordSchema.finishedCounts, [.double(since.timeIntervalSince1970), .int(Int64(max(60, bucketSeconds)))])
        return rows.rows.flatMap { row -> [FinishedCount] in
            guard let start = row[0].flatMap(Int64.init) else { return [] }
            return FinishedCount.pair(bucketStartMilliseconds: start, completed: row[1].flatMap { Int($0) } ?? 0, failed: row[2].flatMap { Int($0) } ?? 0)
        }
    }

    func recentTimings(limit: Int) async throws -> [MessageTiming] {
        try await table.prepare()
        return try await table.statisticsConnection.query(PostgresRecordSchema.recentTimings, [.int(Int64(limit))]).rows.map { row in
            MessageTiming(waitMilliseconds: row[0].flatMap(Int64.init) ?? 0, runMilliseconds: row[1].flatMap(Int64.init) ?? 0)
        }
    }

    // MARK: Credentials

    func saveCredential(_ credential: OperatorCredential) async throws {
        try await table.prepare()
        try await table.connection.query(PostgresRecordSchema.saveCredential, [
            .text(credential.kind.rawValue), .text(credential.key), .text(credential.name), .text(credential.role), .text(credential.secret),
            credential.expiresAt.map { .double($0.timeIntervalSince1970) } ?? .null,
        ])
    }

    func credential(kind: OperatorCredential.Kind, key: String) async throws -> OperatorCredential? {
        try await table.prepare()
        return try await table.connection.query(PostgresRecordSchema.credential, [.text(kind.rawValue), .text(key)]).rows.first.flatMap(Self.credential(from:))
    }

    func credentials(kind: OperatorCredential.Kind) async throws -> [OperatorCredential] {
        try await table.prepare()
        return try await table.connection.query(PostgresRecordSchema.credentials, [.text(kind.rawValue)]).rows.compactMap(Self.credential(from:))
    }

    func deleteCredential(kind: OperatorCredential.Kind, key: String) async throws -> Bool {
        try await table.prepare()
        return try await table.connection.query(PostgresRecordSchema.deleteCredential, [.text(kind.rawValue), .text(key)]).affected > 0
    }

    static func credential(from row: [String?]) -> OperatorCredential? {
        guard let kind = row[0].flatMap(OperatorCredential.Kind.init(rawValue:)) else { return nil }
        func date(_ index: Int) -> Date? { row[index].flatMap(Double.init).map { Date(timeIntervalSince1970: $0) } }
        return OperatorCredential(kind: kind, key: row[1] ?? "", name: row[2] ?? "", role: row[3] ?? "", secret: row[4] ?? "",
                                  createdAt: date(5) ?? .distantPast, expiresAt: date(6))
    }

    // MARK: Workers

    func heartbeat(_ worker: WorkerRecord) async throws {
        try await table.prepare()
        try await table.connection.query(PostgresRecordSchema.heartbeat, [
            .text(worker.id), .text(worker.host), .int(Int64(worker.pid)), .text(worker.receivers.joined(separator: ",")),
            .double(worker.startedAt.timeIntervalSince1970), .text(worker.stoppedAt == nil ? "false" : "true"),
            .int(Int64(worker.inHand)), .int(Int64(worker.handled)), .int(Int64(worker.failed)),
        ])
    }

    /// Times are the database's (heartbeats are written with its `now()`), shifted to this host's
    /// clock, so that a worker's age does not depend on clock drift between hosts.
    func workers() async throws -> [WorkerRecord] {
        try await table.prepare()
        let local = Date().timeIntervalSince1970
        return try await table.connection.query(PostgresRecordSchema.workers).rows.map { row in
            let skew = local - (row[10].flatMap(Double.init) ?? local)
            func date(_ index: Int) -> Date? { row[index].flatMap(Double.init).map { Date(timeIntervalSince1970: $0 + skew) } }
            return WorkerRecord(id: row[0] ?? "", host: row[1] ?? "", pid: Int32(row[2] ?? "0") ?? 0,
                                receivers: (row[3] ?? "").split(separator: ",").map(String.init), startedAt: date(4) ?? .distantPast,
                                heartbeatAt: date(5) ?? .distantPast, stoppedAt: date(6), inHand: Int(row[7] ?? "0") ?? 0,
                                handled: Int(row[8] ?? "0") ?? 0, failed: Int(row[9] ?? "0") ?? 0)
        }
    }

    func forgetWorkers(before date: Date) async throws {
        try await table.prepare()
        try await table.connection.query(PostgresRecordSchema.forgetWorkers, [.double(date.timeIntervalSince1970)])
        try await table.connection.query(PostgresRecordSchema.forgetThroughput, [.int(Int64(FinishedCount.keptDays))])
    }

    // MARK: Paused queues

    func pause(queue: String) async throws {
        try await table.prepare()
        try await table.connection.query(PostgresRecordSchema.pause, [.text(queue)])
    }

    func resume(queue: String) async throws {
        try await table.prepare()
        try await table.connection.query(PostgresRecordSchema.resume(channel: table.schema.channel), [.text(queue)])
    }

    func pausedQueues() async throws -> Set<String> {
        try await table.prepare()
        return Set(try await table.connection.query(PostgresRecordSchema.paused).rows.compactMap { $0[0] })
    }

    // MARK: Rows

    /// A record from a row of `PostgresRecordSchema.columns`.
    static func record(from row: [String?]) -> MessageRecord {
        func date(_ index: Int) -> Date? { row[index].flatMap(Int64.init).map { Date(timeIntervalSince1970: Double($0) / 1000) } }
        return MessageRecord(
            id: row[0] ?? "", type: row[1] ?? "", transport: row[2] ?? "", queue: row[3] ?? "",
            status: MessageStatus(rawValue: row[4] ?? "") ?? .queued, attempts: Int(row[5] ?? "0") ?? 0,
            createdAt: date(6) ?? .distantPast, availableAt: date(7) ?? .distantPast, startedAt: date(8), finishedAt: date(9),
            workerId: row[10], progress: row[11].flatMap(Double.init), progressNote: row[12], result: row[13],
            errorType: row[14], errorMessage: row[15], errorHandler: row[16], origin: row[17],
            cancelRequested: row[18] == "t", rowId: row[19], body: row[20])
    }
}
