import Foundation
import Messenger

/// The sending side of an `sqlite://` transport: one message per transaction (or as part of the
/// caller's), many in one; deduplication keys checked in the same transaction.
struct SQLiteSender: Sendable {
    let table: SQLiteTable

    /// What storing a message did.
    enum Stored: Sendable {
        case inserted(Int64)
        case duplicate(of: Int64, debounced: Bool, publicId: String?, status: MessageStatus)
    }

    func send(_ envelope: Envelope) async throws -> Envelope {
        let joined = try table.joinedTransaction()
        try await table.prepare(on: joined)
        let row = try table.storedRow(envelope, createdAt: table.nowMilliseconds)
        let (schema, queue, rule) = (table.schema, table.options.queueName, envelope.deduplication)
        let retried = envelope.last(TransportMessageIdStamp.self).flatMap { Int64($0.id) }
        let store: @Sendable (isolated SQLiteConnection) throws -> Stored = { connection in
            if let rule, let retried { try connection.query(schema.releaseOwnKey, [.integer(retried), .text(queue), .text(rule.key)]) }
            return try Self.store(row, key: rule?.key, debounce: rule?.debounce == true, schema: schema, on: connection)
        }
        let stored: Stored
        if let joined { stored = try await joined.run(store) } else { stored = try await table.connection.transaction(store) }
        switch stored {
        case .inserted(let id): return envelope.with(TransportMessageIdStamp(String(id)))
        case .duplicate(let id, let debounced, let publicId, let status):
            return envelope.with(DeduplicatedStamp(existingMessageId: String(id), debounced: debounced, existingId: publicId, existingStatus: status))
        }
    }

    /// Inserts a row, and writes its status record, unless a message with its deduplication key is
    /// pending (then, to debounce, moves that message's due time to the row's instead).
    static func store(_ row: StoredRow, key: String?, debounce: Bool, schema: SQLiteSchema, on connection: isolated SQLiteConnection) throws -> Stored {
        let values = row.values
        // values[2] is the queue, values[3] the creation time, values[4] the due time.
        if let key, let pending = try connection.query(schema.pendingWithKey, [values[2], .text(key)]).first, let id = pending[0].int {
            let waiting = pending[1].int == 1
            let debounced = debounce && waiting
            if debounced { try connection.query(schema.moveDueTime, [.integer(id), values[4]]) }
            // Delayed when due after it was stored and after now (another process may have stored it
            // a moment after this one read the clock).
            let due = debounced ? values[4].int ?? 0 : pending[3].int ?? 0
            let now = max(values[3].int ?? 0, debounced ? 0 : pending[4].int ?? 0)
            let status: MessageStatus = !waiting ? .running : due > now ? .scheduled : .queued
            if debounced, let publicId = pending[2].string {
                try connection.query(SQLiteRecordSchema.debounced, [.text(publicId), values[4], .text(status.rawValue)])
            }
            return .duplicate(of: id, debounced: debounced, publicId: pending[2].string, status: status)
        }
        try connection.query(schema.insert, values)
        let id = connection.lastInsertRowID
        try SQLiteRecordWrites.stored(row, rowId: id, on: connection)
        return .inserted(id)
    }

    /// Stores many messages without deduplication keys in one transaction (or as part of the
    /// caller's); returns them with their ids.
    func send(contentsOf envelopes: [Envelope]) async throws -> [Envelope] {
        guard !envelopes.isEmpty else { return [] }
        let joined = try table.joinedTransaction()
        try await table.prepare(on: joined)
        let created = table.nowMilliseconds
        let rows = try envelopes.map { try table.storedRow($0, createdAt: created) }
        let sql = table.schema.insert
        let insert: @Sendable (isolated SQLiteConnection) throws -> [Int64] = { connection in
            try rows.map { row in
                try connection.query(sql, row.values)
                let id = connection.lastInsertRowID
                try SQLiteRecordWrites.stored(row, rowId: id, on: connection)
                return id
            }
        }
        let ids: [Int64]
        if let joined { ids = try await joined.run(insert) } else { ids = try await table.connection.transaction(insert) }
        return zip(envelopes, ids).map { $0.with(TransportMessageIdStamp(String($1))) }
    }
}
