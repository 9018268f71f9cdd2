import Messenger

/// The sending side of a `postgresql://` transport: single sends (concurrent ones share commits),
/// batches (one statement up to 1,000 messages, else parts stored while the next is encoded), and
/// deduplicated sends; each inside the caller's transaction on this database when one is open.
final class PostgresSender: Sendable {
    let table: PostgresTable
    /// Messages sent one by one outside a caller's transaction: concurrent senders share commits.
    private let coalescer: InsertCoalescer

    /// The most messages one insert statement carries.
    static let rowsPerStatement = 1000

    init(table: PostgresTable) {
        self.table = table
        let (connection, schema, queue) = (table.connection, table.schema, table.options.queueName)
        coalescer = InsertCoalescer { rows in
            let records = RecordArrays(rows.map { ($0.record, table.name) })
            let result = rows.count == 1
                ? try await connection.query(schema.insert, schema.insertParameters(rows[0].encoded, queue: queue, delay: rows[0].delayMilliseconds,
                                                                                    messageId: rows[0].messageId, record: records, flow: rows[0].flow))
                : try await connection.query(schema.insertMany(flow: FlowFields.any(rows.map(\.flow))), schema.insertManyParameters(rows.map(\.encoded), queue: queue, delays: rows.map(\.delayMilliseconds),
                                                                                           messageIds: rows.map(\.messageId), records: records, flows: rows.map(\.flow)))
            return result.rows.map { $0.first.flatMap { $0 } ?? "?" }
        }
    }

    func send(_ envelope: Envelope) async throws -> Envelope {
        try await table.prepare()
        let encoded = try table.serializer.encode(envelope)
        let delay = envelope.availabilityOffsetMilliseconds(priorityAgingMilliseconds: table.priorityAgingMilliseconds)
        let (schema, queue, name) = (table.schema, table.options.queueName, table.name)
        let record = RecordedMessage(envelope, options: table.options.records)
        let records = RecordArrays([(record, name)])
        let flow = table.flowFields(envelope)
        guard let rule = envelope.deduplication else {
            guard PostgresTransactionContext.current == nil else {
                let rows = try await table.target().query(schema.insert, schema.insertParameters(encoded, queue: queue, delay: delay, messageId: envelope.messageId,
                                                                                                  record: records, flow: flow))
                return envelope.with(TransportMessageIdStamp(rows.rows.first?.first.flatMap { $0 } ?? "?"))
            }
            let row = InsertCoalescer.Row(encoded: encoded, delayMilliseconds: delay, messageId: envelope.messageId, record: record, flow: flow)
            return envelope.with(TransportMessageIdStamp(try await coalescer.insert(row)))
        }
        let retried = envelope.last(TransportMessageIdStamp.self).flatMap { Int64($0.id) }
        let store: @Sendable (isolated PostgresConnection) throws -> Envelope = { connection in
            if let retried { try connection.query(schema.releaseOwnKey, [.int(retried), .text(queue), .text(rule.key)]) }
            // The pending message may be claimed or acknowledged between the insert and the look-up:
            // then insert again.
            for _ in 0..<3 {
                if let id = try Self.insertDeduplicated(encoded, delay: delay, rule: rule, queue: queue, messageId: envelope.messageId, records: records,
                                                        flow: flow, schema: schema, on: connection) {
                    return envelope.with(TransportMessageIdStamp(id))
                }
                guard let pending = try connection.query(schema.pendingWithKey, [.text(queue), .text(rule.key)]).rows.first, let id = pending[0] else { continue }
                let waiting = pending[1] == "t"
                var debounced = false
                if rule.debounce, waiting, let number = Int64(id) {
                    try connection.query(schema.moveDueTime, [.int(number), .int(delay)])
                    debounced = true
                }
                let status: MessageStatus = !waiting ? .running : (debounced ? delay > 0 : pending[3] == "t") ? .scheduled : .queued
                return envelope.with(DeduplicatedStamp(existingMessageId: id, debounced: debounced, existingId: pending[2], existingStatus: status))
            }
            throw MessengerError(.transportFailure, "transport \"\(name)\": key \(rule.key) kept changing hands while storing; try again")
        }
        let target = try table.target()
        if target === table.connection { return try await table.connection.transaction(store) }
        return try await target.run(store)
    }

    /// Inserts a message unless one with its key is pending; its id, or nil when one is.
    static func insertDeduplicated(_ encoded: EncodedEnvelope, delay: Int64, rule: DeduplicateStamp, queue: String, messageId: String?, records: RecordArrays,
                                   flow: FlowFields, order: Int64? = nil, schema: PostgresSchema, on connection: isolated PostgresConnection) throws -> String? {
        let inserted = try connection.query(schema.insertDeduplicated, [
            .text(encoded.body), .text(encoded.headers), .text(queue), .int(delay), .text(rule.key), .text(rule.whileHandling ? "true" : "false"),
            messageId.map { .text($0) } ?? .null,
        ] + (schema.tracked ? records.parameters : []) + flow.parameters + [order.map { .int($0) } ?? .null])
        return inserted.rows.first?.first ?? nil
    }

    /// Stores many messages without deduplication keys in one transaction and returns them with their
    /// ids: one statement for up to 1,000, else statements of 1,000 where each part is encoded while
    /// the database stores the previous one. Inside the caller's transaction on this database, they
    /// join it; outside, the transaction is on the transport's connection for batches.
    func send(contentsOf envelopes: [Envelope]) async throws -> [Envelope] {
        guard !envelopes.isEmpty else { return [] }
        try await table.prepare()
        let target = try table.target()
        guard envelopes.count > Self.rowsPerStatement else { return try await insert(envelopes, encode(envelopes), on: target) }
        if PostgresTransactionContext.current != nil { return try await insertInParts(envelopes, on: target) }
        let batchConnection = table.batchConnection
        return try await table.batchLock.withLock {
            try await batchConnection.withTransaction { try await self.insertInParts(envelopes, on: batchConnection) }
        }
    }

    private func insertInParts(_ envelopes: [Envelope], on target: PostgresConnection) async throws -> [Envelope] {
        var stored: [Envelope] = []
        stored.reserveCapacity(envelopes.count)
        var storing: Task<[Envelope], any Error>?
        do {
            for start in stride(from: 0, to: envelopes.count, by: Self.rowsPerStatement) {
                let part = Array(envelopes[start..<min(envelopes.count, start + Self.rowsPerStatement)])
                let batch = try encode(part)
                if let storing { stored += try await storing.value }
                // Inherits the transaction's task-local context, so it may use the connection.
                storing = Task { try await self.insert(part, batch, on: target) }
            }
            if let storing { stored += try await storing.value }
        } catch {
            _ = try? await storing?.value
            throw error
        }
        return stored
    }

    /// One insert statement's text and parameters (with the flow columns only when a message needs them).
    private struct EncodedBatch: Sendable {
        let statement: String
        let parameters: [PostgresValue]
    }

    private func encode(_ envelopes: [Envelope]) throws -> EncodedBatch {
        let flows = envelopes.map(table.flowFields)
        let parameters = table.schema.insertManyParameters(
            try envelopes.map { try table.serializer.encode($0) }, queue: table.options.queueName,
            delays: envelopes.map { $0.availabilityOffsetMilliseconds(priorityAgingMilliseconds: table.priorityAgingMilliseconds) }, messageIds: envelopes.map(\.messageId),
            records: table.recordArrays(envelopes), flows: flows)
        return EncodedBatch(statement: table.schema.insertMany(flow: FlowFields.any(flows)), parameters: parameters)
    }

    private func insert(_ envelopes: [Envelope], _ batch: EncodedBatch, on target: PostgresConnection) async throws -> [Envelope] {
        let rows = try await target.query(batch.statement, batch.parameters)
        return zip(envelopes, rows.rows).map { $0.with(TransportMessageIdStamp($1.first.flatMap { $0 } ?? "?")) }
    }
}
