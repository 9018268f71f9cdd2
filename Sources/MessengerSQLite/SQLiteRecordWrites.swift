import Messenger

/// A row to insert with the status record written in the same transaction.
struct StoredRow: Sendable {
    /// `SQLiteTable.insertValues`: [2] is the queue, [3] the creation time, [4] the due time, [0] the body.
    let values: [SQLiteValue]
    let record: RecordedMessage?
    let transport: String

    /// The same row, ordered in its group at `order` (`flow_order`, values[10]).
    func keepingOrder(_ order: SQLiteValue) -> StoredRow {
        var values = self.values
        values[10] = order
        return StoredRow(values: values, record: record, transport: transport)
    }
}

/// The status-record writes that go with the transport's own, inside its transaction.
enum SQLiteRecordWrites {
    /// A row was inserted with id `rowId`: its record made or brought up to date.
    static func stored(_ row: StoredRow, rowId: Int64, on connection: isolated SQLiteConnection) throws {
        guard let record = row.record else { return }
        let values = row.values
        // A prioritized message is ordered as if available earlier; its record says when it was.
        let available = SQLiteValue.integer(max(values[3].int ?? 0, values[4].int ?? 0))
        try connection.query(SQLiteRecordSchema.upsert, [
            .text(record.id), .text(record.type), .text(row.transport), values[2], .text(record.status.rawValue), values[3], available,
            text(record.errorType), text(record.errorMessage), text(record.errorHandler), text(record.origin), .integer(rowId), values[0],
            record.attempts.map { .integer(Int64($0)) } ?? .null,
        ])
    }

    /// Rows claimed by id (`SQLiteSchema.returning`: [6] is the public id) start a new attempt.
    static func started(_ rows: [[SQLiteValue]], now: Int64, on connection: isolated SQLiteConnection) throws {
        for row in rows {
            guard case .text(let id) = row[6] else { continue }
            try connection.query(SQLiteRecordSchema.started, [.text(id), .integer(now), .text(WorkerIdentity.id)])
        }
    }

    /// A claimed message's handling ended (acknowledged, or rejected with an outcome).
    static func finished(_ id: String, _ outcome: MessageOutcomeStamp, now: Int64, on connection: isolated SQLiteConnection) throws {
        var result: String?
        var error: ErrorDetailsStamp?
        switch outcome.outcome {
        case .completed(let json): result = json
        case .cancelled: break
        case .failed(let details): error = details
        }
        let start = outcome.start
        try connection.query(SQLiteRecordSchema.finished, [
            .text(id), .text(outcome.status.rawValue), .integer(now), text(result), text(error?.errorType), text(error?.message), text(error?.location),
            start.map { .integer(Int64($0.attempt)) } ?? .null, start.map { .integer($0.startedAtMilliseconds) } ?? .null, text(start?.workerId),
        ])
    }

    /// A claim was given back.
    static func released(_ id: String?, now: Int64, on connection: isolated SQLiteConnection) throws {
        guard let id else { return }
        try connection.query(SQLiteRecordSchema.released, [.text(id), .integer(now)])
    }

    /// A waiting message was removed (cancelled, removed by an operator, or superseded).
    static func cancelled(_ id: String?, now: Int64, why: String?, on connection: isolated SQLiteConnection) throws {
        guard let id else { return }
        try connection.query(SQLiteRecordSchema.cancelled, [.text(id), .integer(now), text(why)])
    }

    static func text(_ value: String?) -> SQLiteValue { value.map { .text($0) } ?? .null }
}
