import Foundation
import Logging
import Messenger
import Synchronization

/// The receiving side of an `sqlite://` transport.
///
/// A claim runs in `BEGIN IMMEDIATE`, so each row goes to exactly one worker. Acknowledgements, and
/// the replacements of failed messages (a retry, a parked copy), are batched and written in the same
/// transaction as the next claim (or on `flush()`), so one fsync serves a whole batch and a crash
/// never leaves a failed message and its retry both stored.
final class SQLiteReceiver: Sendable {
    let table: SQLiteTable
    let logger: Logger
    private let pending = Mutex(PendingWrites())
    /// When rows under flow control that could not start may (epoch ms); nil when none waits.
    private let flowNextLook = Mutex<Int64?>(nil)
    /// Whether waiting rows were brought under the current rules (`SQLiteFlowClaim.adoptWaitingRows`).
    private let adopted = Mutex(false)

    /// Writes that wait for the next transaction.
    struct PendingWrites: Sendable {
        var removals: [Removal] = []
        var replacements: [Replacement] = []
        var isEmpty: Bool { removals.isEmpty && replacements.isEmpty }
    }

    /// A claimed message to remove, and how its handling ended (for its record).
    struct Removal: Sendable {
        let claim: ClaimReference
        let outcome: MessageOutcomeStamp?
    }

    /// A claimed message to remove and the row that stands for it from then on.
    struct Replacement: Sendable {
        let original: ClaimReference
        let target: SQLiteSchema
        let row: StoredRow
        let deduplicationKey: String?
        /// A retry of a message in an ordered group that holds the group's place (`group_failure: hold`).
        let holdsGroup: Bool
    }

    init(table: SQLiteTable, logger: Logger) {
        self.table = table
        self.logger = logger
    }

    /// Claims up to `limit` due messages. A message taken back from a worker presumed dead (its claim
    /// older than `redeliver_timeout`) comes alone, so that the worker starts it at once: a delivery
    /// is counted against the poison-message check only when its start is certain.
    func get(limit: Int, fromQueues queues: [String]) async throws -> [Envelope] {
        try await table.prepare()
        if !adopted.withLock({ $0 }) {
            let (limits, schema) = (table.limits, table.schema)
            try await table.connection.transaction { connection in try SQLiteFlowClaim.adoptWaitingRows(limits, schema: schema, on: connection) }
            adopted.withLock { $0 = true }
        }
        let writes = takePending()
        let current = table.nowMilliseconds
        let (schema, token, expired) = (table.schema, table.claimToken, table.expiredClaimLimit(now: current))
        let queueValues = queues.map { SQLiteValue.text($0) }
        let bounded = Int64(max(1, limit))
        let result: (rows: [[SQLiteValue]], lost: Int, nextLook: Int64?)
        do {
            result = try await table.connection.transaction { connection in
                let lost = try Self.write(writes, schema: schema, now: current, on: connection)
                let recovered = try connection.query(schema.claimRecovered(queueCount: queues.count), [.integer(current), .text(token), .integer(expired)] + queueValues)
                if !recovered.isEmpty { return (recovered, lost, nil) }
                // Its clock read once the write lock is held: a bucket is never updated with a time
                // earlier than the last claim's.
                let outcome = try table.flowClaim(queues: queues).claim(limit: Int(bounded), on: connection)
                var rows = try outcome.rows
                    ?? connection.query(schema.claimReady(queueCount: queues.count), [.integer(current), .text(token), .integer(bounded)] + queueValues)
                rows.sort { ($0[4].int ?? 0, $0[0].int ?? 0) < ($1[4].int ?? 0, $1[0].int ?? 0) }
                // The worker starts the first message of a batch as soon as it has it.
                if let first = rows.first { try connection.query(schema.markStartedOnClaim, [first[0], .text(token)]) }
                return (rows, lost, outcome.nextLook)
            }
        } catch {
            restore(writes)
            throw error
        }
        flowNextLook.withLock { $0 = result.nextLook }
        reportLost(result.lost)
        return result.rows.map(table.envelope(from:))
    }

    /// When rows under flow control that could not start at the last claim may, for an idle worker.
    func nextFlowLook() -> Date? {
        flowNextLook.withLock { $0 }.map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    func ack(_ envelope: Envelope) throws { try scheduleRemoval(of: envelope) }

    func reject(_ envelope: Envelope) throws { try scheduleRemoval(of: envelope) }

    func replace(_ original: Envelope, with replacement: Envelope, via sender: any Sender) throws -> Bool {
        guard let target = (sender as? SQLiteTransport)?.table, target.connection.path == table.connection.path else { return false }
        let row = try target.storedRow(replacement, createdAt: table.nowMilliseconds)
        let holdsGroup = replacement.groupKey != nil && target.limits.holdsGroupOnFailure(type: replacement.messageName, queue: target.options.queueName)
        let item = Replacement(original: try table.claimReference(original), target: target.schema, row: row,
                               deduplicationKey: replacement.deduplication?.key, holdsGroup: holdsGroup)
        pending.withLock { $0.replacements.append(item) }
        return true
    }

    func flush() async throws {
        let writes = takePending()
        guard !writes.isEmpty else { return }
        let (schema, current) = (table.schema, table.nowMilliseconds)
        let lost: Int
        do {
            lost = try await table.connection.transaction { connection in try Self.write(writes, schema: schema, now: current, on: connection) }
        } catch {
            restore(writes)
            throw error
        }
        reportLost(lost)
    }

    func keepalive(_ envelope: Envelope) async throws {
        let reference = try table.claimReference(envelope)
        let (sql, current) = (table.schema.keepalive, table.nowMilliseconds)
        try await table.connection.query(sql, reference.bindings + [.integer(current)])
    }

    func release(_ envelopes: [Envelope]) async throws {
        let references = try envelopes.map(table.claimReference)
        let (sql, superseded, current) = (table.schema.release, table.schema.deleteSupersededClaim, table.nowMilliseconds)
        try await table.connection.transaction { connection in
            for reference in references {
                if try !connection.query(superseded, reference.bindings).isEmpty {
                    try SQLiteRecordWrites.cancelled(reference.messageId, now: current, why: "superseded by a newer message with the same deduplication key", on: connection)
                    continue
                }
                try connection.query(sql, reference.bindings)
                if connection.changes == 1 { try SQLiteRecordWrites.released(reference.messageId, now: current, on: connection) }
            }
        }
    }

    /// Writes acknowledgements and replacements; returns how many replacements were dropped because
    /// their original was no longer this claim's (another worker took it and handles it).
    private static func write(_ writes: PendingWrites, schema: SQLiteSchema, now: Int64, on connection: isolated SQLiteConnection) throws -> Int {
        for removal in writes.removals {
            try connection.query(schema.deleteClaimed, removal.claim.bindings)
            if connection.changes == 1, let id = removal.claim.messageId, let outcome = removal.outcome {
                try SQLiteRecordWrites.finished(id, outcome, now: now, on: connection)
            }
        }
        var lost = 0
        for replacement in writes.replacements {
            guard let removed = try connection.query(schema.deleteClaimedKeepingOrder, replacement.original.bindings).first else {
                lost += 1
                continue
            }
            var row = replacement.row
            // values[10] is flow_order: a retry that holds its group keeps its original's place.
            if replacement.holdsGroup, removed[0] != .null, removed[0] == row.values[9] { row = row.keepingOrder(removed[1]) }
            let stored = try SQLiteSender.store(row, key: replacement.deduplicationKey, debounce: false, schema: replacement.target, on: connection)
            if case .duplicate = stored {
                try SQLiteRecordWrites.cancelled(replacement.original.messageId, now: now, why: "superseded by a newer message with the same deduplication key", on: connection)
            }
        }
        return lost
    }

    private func reportLost(_ lost: Int) {
        guard lost > 0 else { return }
        logger.warning("\(lost) failed message(s) were not retried or parked from here: another worker had taken them (claimed past redeliver_timeout) and handles them")
    }

    private func scheduleRemoval(of envelope: Envelope) throws {
        let removal = Removal(claim: try table.claimReference(envelope), outcome: envelope.outcome)
        pending.withLock { $0.removals.append(removal) }
    }

    private func takePending() -> PendingWrites {
        pending.withLock { writes in defer { writes = PendingWrites() }; return writes }
    }

    /// Puts writes that failed back in front of those scheduled meanwhile.
    private func restore(_ writes: PendingWrites) {
        pending.withLock { current in
            current.removals.insert(contentsOf: writes.removals, at: 0)
            current.replacements.insert(contentsOf: writes.replacements, at: 0)
        }
    }
}
