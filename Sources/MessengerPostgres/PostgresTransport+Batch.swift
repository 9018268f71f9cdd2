import Messenger

extension PostgresTransport {
    /// The most messages one insert statement carries.
    static let rowsPerStatement = 1000

    /// Stores many messages in one transaction and returns them with their ids: one statement for up
    /// to 1,000, else statements of 1,000 where each part is encoded while the database stores the
    /// previous one. Inside the caller's transaction on this database, they join it; outside, the
    /// transaction is on a connection of the transport's own for batches (see `batchConnection`).
    public func send(contentsOf envelopes: [Envelope]) async throws -> [Envelope] {
        guard !envelopes.isEmpty else { return [] }
        if envelopes.contains(where: { $0.deduplication != nil }) { return try await sendEach(envelopes) }
        try await prepare()
        let target = try target()
        guard envelopes.count > Self.rowsPerStatement else { return try await insert(envelopes, encode(envelopes), on: target) }
        if PostgresTransactionContext.current != nil { return try await insertInParts(envelopes, on: target) }
        let batchConnection = batchConnection
        return try await batchLock.withLock {
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
                let parameters = try encode(part)
                if let storing { stored += try await storing.value }
                // Inherits the transaction's task-local context, so it may use the connection.
                storing = Task { try await self.insert(part, parameters, on: target) }
            }
            if let storing { stored += try await storing.value }
        } catch {
            _ = try? await storing?.value
            throw error
        }
        return stored
    }

    private func encode(_ envelopes: [Envelope]) throws -> [PostgresValue] {
        PostgresSchema.insertManyParameters(try envelopes.map { try serializer.encode($0) }, queue: options.queueName,
                                            delays: envelopes.map { $0.last(DelayStamp.self)?.milliseconds ?? 0 })
    }

    private func insert(_ envelopes: [Envelope], _ parameters: [PostgresValue], on target: PostgresConnection) async throws -> [Envelope] {
        let rows = try await target.query(schema.insertMany, parameters)
        return zip(envelopes, rows.rows).map { $0.with(TransportMessageIdStamp($1.first.flatMap { $0 } ?? "?")) }
    }
}
