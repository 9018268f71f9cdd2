import Foundation
import Messenger

/// The status records, worker records and paused queues of an `sqlite://` transport's file: read,
/// cancel, progress, retention; written by the sender and receiver in their own transactions.
struct SQLiteRecords: Sendable {
    let table: SQLiteTable

    func record(id: String) async throws -> MessageRecord? {
        try await table.prepare()
        return try await table.connection.query(SQLiteRecordSchema.find, [.text(id)]).first.map(Self.record(from:))
    }

    func records(matching query: MessageRecordQuery) async throws -> [MessageRecord] {
        try await table.prepare()
        let (sql, bindings) = SQLiteRecordSchema.page(query)
        return try await table.connection.query(sql, bindings).map(Self.record(from:))
    }

    /// A waiting message is removed with its record marked in one transaction; a running one is
    /// flagged for its worker, which looks every `WorkerHeartbeat.interval`.
    func cancel(id: String) async throws -> CancelResult {
        try await table.prepare()
        let (schema, current) = (table.schema, table.nowMilliseconds)
        return try await table.connection.transaction { connection -> CancelResult in
            guard let row = try connection.query(SQLiteRecordSchema.find, [.text(id)]).first else { return .missing }
            let record = Self.record(from: row)
            if record.status.isFinished { return .alreadyFinished(record.status) }
            if record.status != .running, let rowId = record.rowId.flatMap(Int64.init),
               try !connection.query(schema.removeWaiting, [.integer(rowId), .text(id)]).isEmpty {
                try SQLiteRecordWrites.cancelled(id, now: current, why: nil, on: connection)
                return .cancelled
            }
            try connection.query(SQLiteRecordSchema.requestCancel, [.text(id)])
            return .cancelling
        }
    }

    func recordStarts(_ starts: [MessageStart]) async throws {
        guard !starts.isEmpty else { return }
        try await table.connection.transaction { connection in
            for start in starts {
                try connection.query(SQLiteRecordSchema.recordStart, [
                    .text(start.messageId), .integer(Int64(start.attempt)), .integer(start.startedAtMilliseconds), .text(start.workerId),
                ])
            }
        }
    }

    func reportProgress(_ reports: [ProgressReport]) async throws {
        guard !reports.isEmpty else { return }
        try await table.connection.transaction { connection in
            for report in reports {
                try connection.query(SQLiteRecordSchema.progress, [.text(report.messageId), .real(report.fraction), SQLiteRecordWrites.text(report.note)])
            }
        }
    }

    func cancellationRequests(among ids: [String]) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        let list = String(decoding: try JSONEncoder().encode(ids), as: UTF8.self)
        return Set(try await table.connection.query(SQLiteRecordSchema.cancellationRequests, [.text(list)]).compactMap { $0[0].string })
    }

    func prune(_ retention: RecordRetention, limit: Int) async throws -> Int {
        try await table.prepare()
        let (completed, failed) = retention.cutoffs(now: table.now())
        let (transport, queue) = (table.name, SQLiteValue.text(table.options.queueName))
        return try await table.connection.transaction { connection in
            var pruned = 0
            for (status, cutoff) in [(MessageStatus.completed, completed), (.cancelled, completed), (.failed, failed)] where pruned < limit {
                try connection.query(SQLiteRecordSchema.pruneByAge, [.text(transport), .text(status.rawValue), .integer(cutoff), .integer(Int64(limit - pruned)), queue])
                pruned += connection.changes
            }
            if let maximum = retention.maxFinished, pruned < limit,
               let threshold = try connection.query(SQLiteRecordSchema.countThreshold, [.text(transport), .integer(Int64(maximum)), queue]).first {
                try connection.query(SQLiteRecordSchema.pruneByCount, [.text(transport), threshold[0], threshold[1], .integer(Int64(limit - pruned)), queue])
                pruned += connection.changes
            }
            return pruned
        }
    }

    func forget(ids: [String]) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        try await table.prepare()
        let list = String(decoding: try JSONEncoder().encode(ids), as: UTF8.self)
        return try await table.connection.transaction { connection in
            try connection.query(SQLiteRecordSchema.forget, [.text(list)])
            return connection.changes
        }
    }

    func finishedCounts(since: Date, bucketSeconds: Int) async throws -> [FinishedCount] {
        try await table.prepare()
        let rows = try await table.statisticsConnection.query(SQLiteRecordSchema.finishedCounts, [
            .integer(SQLiteTable.milliseconds(since) / 60_000 * 60_000), .integer(Int64(max(60, bucketSeconds)) * 1000),
        ])
        return rows.flatMap { row -> [FinishedCount] in
            guard let start = row[0].int else { return [] }
            return FinishedCount.pair(bucketStartMilliseconds: start, completed: Int(row[1].int ?? 0), failed: Int(row[2].int ?? 0))
        }
    }

    func recentTimings(limit: Int) async throws -> [MessageTiming] {
        try await table.prepare()
        return try await table.statisticsConnection.query(SQLiteRecordSchema.recentTimings, [.integer(Int64(limit))]).map { row in
            MessageTiming(waitMilliseconds: row[0].int ?? 0, runMilliseconds: row[1].int ?? 0)
        }
    }

    // MARK: Credentials

    func saveCredential(_ credential: OperatorCredential) async throws {
        try await table.prepare()
        try await table.connection.query(SQLiteRecordSchema.saveCredential, [
            .text(credential.kind.rawValue), .text(credential.key), .text(credential.name), .text(credential.role), .text(credential.secret),
            .integer(SQLiteTable.milliseconds(credential.createdAt)), credential.expiresAt.map { .integer(SQLiteTable.milliseconds($0)) } ?? .null,
        ])
    }

    func credential(kind: OperatorCredential.Kind, key: String) async throws -> OperatorCredential? {
        try await table.prepare()
        return try await table.connection.query(SQLiteRecordSchema.credential, [.text(kind.rawValue), .text(key), .integer(table.nowMilliseconds)])
            .first.flatMap(Self.credential(from:))
    }

    func credentials(kind: OperatorCredential.Kind) async throws -> [OperatorCredential] {
        try await table.prepare()
        return try await table.connection.query(SQLiteRecordSchema.credentials, [.text(kind.rawValue), .integer(table.nowMilliseconds)])
            .compactMap(Self.credential(from:))
    }

    func deleteCredential(kind: OperatorCredential.Kind, key: String) async throws -> Bool {
        try await table.prepare()
        let now = table.nowMilliseconds
        return try await table.connection.transaction { connection in
            try connection.query(SQLiteRecordSchema.deleteExpiredCredentials, [.integer(now)])
            try connection.query(SQLiteRecordSchema.deleteCredential, [.text(kind.rawValue), .text(key)])
            return connection.changes > 0
        }
    }

    static func credential(from row: [SQLiteValue]) -> OperatorCredential? {
        guard let kind = row[0].string.flatMap(OperatorCredential.Kind.init(rawValue:)) else { return nil }
        return OperatorCredential(kind: kind, key: row[1].string ?? "", name: row[2].string ?? "", role: row[3].string ?? "", secret: row[4].string ?? "",
                                  createdAt: date(row[5]) ?? .distantPast, expiresAt: date(row[6]))
    }

    // MARK: Workers

    func heartbeat(_ worker: WorkerRecord) async throws {
        try await table.prepare()
        let heartbeat: [SQLiteValue] = [
            .text(worker.id), .text(worker.host), .integer(Int64(worker.pid)), .text(worker.receivers.joined(separator: ",")),
            .integer(SQLiteTable.milliseconds(worker.startedAt)), .integer(SQLiteTable.milliseconds(worker.heartbeatAt)),
            worker.stoppedAt.map { .integer(SQLiteTable.milliseconds($0)) } ?? .null,
            .integer(Int64(worker.inHand)), .integer(Int64(worker.handled)), .integer(Int64(worker.failed)),
        ]
        let throughput: [SQLiteValue] = [.text(worker.id), .integer(SQLiteTable.milliseconds(worker.heartbeatAt)), .integer(Int64(worker.handled)), .integer(Int64(worker.failed))]
        try await table.connection.transaction { connection in
            try connection.query(SQLiteRecordSchema.countThroughput, throughput)
            try connection.query(SQLiteRecordSchema.heartbeat, heartbeat)
        }
    }

    func workers() async throws -> [WorkerRecord] {
        try await table.prepare()
        return try await table.connection.query(SQLiteRecordSchema.workers).map { row in
            WorkerRecord(id: row[0].string ?? "", host: row[1].string ?? "", pid: Int32(row[2].int ?? 0),
                         receivers: (row[3].string ?? "").split(separator: ",").map(String.init),
                         startedAt: Self.date(row[4]) ?? .distantPast, heartbeatAt: Self.date(row[5]) ?? .distantPast, stoppedAt: Self.date(row[6]),
                         inHand: Int(row[7].int ?? 0), handled: Int(row[8].int ?? 0), failed: Int(row[9].int ?? 0))
        }
    }

    func forgetWorkers(before date: Date) async throws {
        try await table.prepare()
        try await table.connection.query(SQLiteRecordSchema.forgetWorkers, [.integer(SQLiteTable.milliseconds(date))])
        try await table.connection.query(SQLiteRecordSchema.forgetThroughput, [.integer(SQLiteTable.milliseconds(table.now().addingTimeInterval(-Double(FinishedCount.keptDays) * 86_400)))])
    }

    // MARK: Paused queues

    func pause(queue: String) async throws {
        try await table.prepare()
        try await table.connection.query(SQLiteRecordSchema.pause, [.text(queue), .integer(table.nowMilliseconds)])
    }

    func resume(queue: String) async throws {
        try await table.prepare()
        try await table.connection.query(SQLiteRecordSchema.resume, [.text(queue)])
    }

    func pausedQueues() async throws -> Set<String> {
        try await table.prepare()
        return Set(try await table.connection.query(SQLiteRecordSchema.paused).compactMap { $0[0].string })
    }

    // MARK: Rows

    /// A record from a row of `SQLiteRecordSchema.columns`.
    static func record(from row: [SQLiteValue]) -> MessageRecord {
        MessageRecord(
            id: row[0].string ?? "", type: row[1].string ?? "", transport: row[2].string ?? "", queue: row[3].string ?? "",
            status: MessageStatus(rawValue: row[4].string ?? "") ?? .queued, attempts: Int(row[5].int ?? 0),
            createdAt: date(row[6]) ?? .distantPast, availableAt: date(row[7]) ?? .distantPast, startedAt: date(row[8]), finishedAt: date(row[9]),
            workerId: row[10].string, progress: real(row[11]), progressNote: row[12].string, result: row[13].string,
            errorType: row[14].string, errorMessage: row[15].string, errorHandler: row[16].string, origin: row[17].string,
            cancelRequested: row[18].int == 1, rowId: row[19].string, body: row[20].string)
    }

    static func date(_ value: SQLiteValue) -> Date? { value.int.map { Date(timeIntervalSince1970: Double($0) / 1000) } }

    static func real(_ value: SQLiteValue) -> Double? {
        switch value {
        case .real(let number): number
        case .integer(let number): Double(number)
        default: nil
        }
    }
}
