import Foundation
import Logging
import Messenger
import Synchronization

/// The receiving side of a `postgresql://` transport.
///
/// One statement acknowledges the previous batch and claims the next with `FOR UPDATE SKIP LOCKED`;
/// no transaction stays open while handlers run. When a claim comes back full, the next one is read
/// ahead while the worker handles this one. Messages taken back from dead workers come alone (their
/// start, and so their count against the poison-message check, is certain). Retries and parked
/// copies of failed messages replace their original in one statement, batched like acknowledgements.
final class PostgresReceiver: Sendable {
    let table: PostgresTable
    private let pendingAcks = Mutex<[PendingAck]>([])
    private let pendingReplacements = Mutex<[Replacement]>([])
    private let lastAbandonedCheck = Mutex<ContinuousClock.Instant?>(nil)
    /// The claim started ahead of the next `get`, and the queues it is for.
    private let readAhead = Mutex<ReadAhead?>(nil)
    /// Claims to give back whose release failed (a lost connection): given back before the next claim.
    private let pendingReleases = Mutex<[PostgresClaim]>([])
    /// When the claim looks at rows under flow control.
    private let flowPace = Mutex(FlowPace())
    /// Whether waiting rows were brought under the current rules (`PostgresFlowClaim.adoptWaitingRows`).
    private let adopted = Mutex(false)
    /// The queues of the last claim when it found nothing (the worker waits on them); nil otherwise.
    private let idleOn = Mutex<[String]?>(nil)

    /// Rows under flow control are looked at by a claim of their own (a transaction under the table's
    /// flow lock): at every claim while some start, at the time they said when all wait, when the
    /// plain claim finds nothing (at most every 250 ms while some wait), and at least once a second.
    private struct FlowPace: Sendable {
        var active = false
        /// Epoch ms on the server's clock.
        var nextLook: Int64?
        var lastLook: ContinuousClock.Instant?
        /// The last look found due rows it could not start.
        var blocked = false

        func isDue(now: ContinuousClock.Instant) -> Bool {
            if active { return true }
            if let nextLook, Double(nextLook) / 1000 <= Date().timeIntervalSince1970 { return true }
            guard let lastLook else { return true }
            return now - lastLook >= .seconds(1)
        }

        /// When the plain claim found nothing: new rows under flow control may have come (a wake-up),
        /// unless the last look, not long ago, found due ones it could not start.
        func isDueWhenIdle(now: ContinuousClock.Instant) -> Bool {
            guard blocked, let lastLook else { return true }
            return now - lastLook >= .milliseconds(Int(FlowSelection.recheckMilliseconds)) || isDue(now: now)
        }
    }

    private struct ReadAhead: Sendable {
        let queues: [String]
        let task: Task<[[String?]], any Error>
    }

    /// A claimed message to remove and the row that stands for it from then on.
    struct Replacement: Sendable {
        let original: PostgresClaim
        let target: PostgresSchema
        let queue: String
        let encoded: EncodedEnvelope
        let delayMilliseconds: Int64
        let deduplication: DeduplicateStamp?
        let messageId: String?
        /// The record written with the replacement (nil when untracked), and its transport.
        let record: RecordedMessage?
        let transport: String
        let flow: FlowFields
        /// A retry of a message in an ordered group that holds the group's place (`group_failure: hold`).
        let holdsGroup: Bool
    }

    init(table: PostgresTable) { self.table = table }

    // MARK: Claims

    /// Claims up to `limit` due messages; a message taken back from a dead worker comes alone.
    func get(limit: Int, fromQueues queues: [String]) async throws -> [Envelope] {
        idleOn.withLock { $0 = nil }
        let envelopes = try await claim(limit: limit, fromQueues: queues)
        if envelopes.isEmpty { idleOn.withLock { $0 = queues } }
        return envelopes
    }

    /// The queues an idle worker waits on: those of the last claim, when it found nothing.
    var idleQueues: [String]? { idleOn.withLock { $0 } }

    private func claim(limit: Int, fromQueues queues: [String]) async throws -> [Envelope] {
        try await table.prepare()
        try await table.startLease()
        if !adopted.withLock({ $0 }) {
            let (limits, schema) = (table.limits, table.schema)
            try await table.connection.transaction { connection in try PostgresFlowClaim.adoptWaitingRows(limits, schema: schema, on: connection) }
            adopted.withLock { $0 = true }
        }
        try await releasePending()
        let limit = max(1, min(limit, table.options.prefetch))
        if shouldCheckAbandoned() {
            let recovered = try await claim(table.schema.claimAbandoned(queues: queues.count), [
                .int(1), .int(Int64(table.options.redeliverTimeoutSeconds)), PostgresSchema.queueParameter(queues),
            ])
            if let row = recovered.first {
                table.logger.debug("Took back message \(row[0] ?? "?") of \(table.name): its worker is gone or past redeliver_timeout")
                // More may be waiting: the next claim looks again at once.
                lastAbandonedCheck.withLock { $0 = nil }
                return [table.envelope(from: row)]
            }
        }
        let hasReadAhead = readAhead.withLock { $0 != nil }
        var lookedAtFlow = false
        if !hasReadAhead, flowPace.withLock({ $0.isDue(now: .now) }) {
            lookedAtFlow = true
            if let rows = try await claimUnderFlowControl(limit: limit, queues: queues) { return rows.map(table.envelope(from:)) }
        }
        var rows: [[String?]]
        if let ahead = takeReadAhead(), let claimed = try? await ahead.task.value {
            rows = claimed
            if ahead.queues != queues {
                try await giveBack(rows)
                rows = try await claimReady(limit: limit, queues: queues, firstStartsNow: true)
            } else if rows.count > limit {
                // The rows in hand are handled whatever happens to the others: a release that fails
                // (a lost connection) is tried again before the next claim.
                try? await giveBack(Array(rows[limit...]))
                rows = Array(rows[..<limit])
            }
        } else {
            rows = try await claimReady(limit: limit, queues: queues, firstStartsNow: true)
        }
        if rows.isEmpty, !lookedAtFlow, flowPace.withLock({ $0.isDueWhenIdle(now: .now) }), let flowRows = try await claimUnderFlowControl(limit: limit, queues: queues) {
            return flowRows.map(table.envelope(from:))
        }
        if table.options.readAhead, limit > 1, rows.count == limit {
            let task = Task { try await self.claimReady(limit: limit, queues: queues, firstStartsNow: false) }
            readAhead.withLock { $0 = ReadAhead(queues: queues, task: task) }
        }
        return rows.map(table.envelope(from:))
    }

    /// Claims rows under flow control with free ones (see `PostgresFlowClaim`), after writing the
    /// acknowledgements gathered so far (a group's next message heads it once the previous is
    /// deleted); nil when none under flow control may start.
    private func claimUnderFlowControl(limit: Int, queues: [String]) async throws -> [[String?]]? {
        try await writeAcknowledgements()
        let flow = table.flowClaim(queues: queues)
        // While rows under flow control start at every claim, some are due: no need to look first.
        var outcome = flowPace.withLock { $0.active } ? nil : try await table.connection.run { connection in try flow.outcomeIfNoneDue(on: connection) }
        if outcome == nil {
            outcome = try await table.connection.transaction { connection in try flow.claim(limit: limit, firstStartsNow: true, on: connection) }
        }
        guard let outcome else { return nil }
        flowPace.withLock { pace in
            pace.active = outcome.rows != nil
            pace.nextLook = outcome.nextLook
            pace.blocked = outcome.blocked
            pace.lastLook = .now
        }
        return outcome.rows
    }

    /// When rows under flow control that could not start at the last look may, for an idle worker.
    func nextFlowLook() -> Date? {
        flowPace.withLock { $0.nextLook }.map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    /// How many rows the claim read ahead holds, once it has finished; nil when none was started.
    func readAheadCount() async -> Int? {
        guard let ahead = readAhead.withLock({ $0 }) else { return nil }
        return (try? await ahead.task.value)?.count
    }

    /// Due rows, in the order they are to be handled (due time, then id: the statement sorts them).
    /// `firstStartsNow`: the worker starts the first of them as soon as it has them (not so for a
    /// claim read ahead).
    private func claimReady(limit: Int, queues: [String], firstStartsNow: Bool) async throws -> [[String?]] {
        try await claim(table.schema.claimReady(queues: queues.count), [
            .int(Int64(limit)), PostgresSchema.queueParameter(queues), .text(firstStartsNow ? "true" : "false"),
        ])
    }

    /// Runs a claim statement whose first parameters are the owner and the acknowledgements gathered
    /// so far (written by the same statement), after the pending replacements. What it claims and
    /// acknowledges is recorded on the connection's executor, in the same step.
    private func claim(_ sql: String, _ parameters: [PostgresValue]) async throws -> [[String?]] {
        try await writeReplacements()
        let (owner, held, tracked) = (table.owner, table.held, table.schema.tracked)
        return try await withPendingAcks { acks in
            let claims = acks.map(\.claim)
            let recordParameters: [PostgresValue] = tracked ? OutcomeArrays(acks).parameters : []
            return try await table.connection.run { connection in
                held.claiming()
                let rows = try connection.query(sql, PostgresSchema.claimParameters(owner: owner, claims) + parameters + recordParameters).rows
                held.settle(claims)
                held.hold(PostgresSchema.claims(of: rows, deliveriesIn: 3))
                return rows
            }
        }
    }

    /// Runs `body` with the acknowledgements gathered so far; when it fails they wait for the next try.
    private func withPendingAcks<T>(_ body: ([PendingAck]) async throws -> T) async throws -> T {
        let acks = pendingAcks.withLock { pending in defer { pending = [] }; return pending }
        do {
            return try await body(acks)
        } catch {
            pendingAcks.withLock { $0.insert(contentsOf: acks, at: 0) }
            throw error
        }
    }

    private func takeReadAhead() -> ReadAhead? {
        readAhead.withLock { current in defer { current = nil }; return current }
    }

    /// Waits for the claim read ahead, if any, and gives its rows back.
    private func endReadAhead() async throws {
        guard let ahead = takeReadAhead(), let claimed = try? await ahead.task.value else { return }
        try await giveBack(claimed)
    }

    /// Gives back rows claimed ahead that no worker took; when that fails they wait in
    /// `pendingReleases` (still this worker's: no other takes them meanwhile, none is forgotten).
    private func giveBack(_ rows: [[String?]]) async throws {
        guard !rows.isEmpty else { return }
        let claims = PostgresSchema.claims(of: rows, deliveriesIn: 3)
        do {
            try await release(claims)
        } catch {
            pendingReleases.withLock { $0.append(contentsOf: claims) }
            throw error
        }
    }

    /// Gives back the claims whose release failed earlier.
    private func releasePending() async throws {
        let claims = pendingReleases.withLock { pending in defer { pending = [] }; return pending }
        guard !claims.isEmpty else { return }
        do {
            try await release(claims)
        } catch {
            pendingReleases.withLock { $0.insert(contentsOf: claims, at: 0) }
            throw error
        }
    }

    /// Dead workers' rows are looked for at most once a second: a cheap pass over in-flight rows.
    private func shouldCheckAbandoned() -> Bool {
        lastAbandonedCheck.withLock { last in
            let now = ContinuousClock.now
            if let previous = last, now - previous < .seconds(1) { return false }
            last = now
            return true
        }
    }

    // MARK: Outcomes

    func ack(_ envelope: Envelope) throws { try scheduleRemoval(of: envelope) }

    func reject(_ envelope: Envelope) throws { try scheduleRemoval(of: envelope) }

    private func scheduleRemoval(of envelope: Envelope) throws {
        let ack = PendingAck(claim: try table.claimOf(envelope), outcome: table.schema.tracked ? envelope.outcome : nil)
        pendingAcks.withLock { $0.append(ack) }
    }

    func replace(_ original: Envelope, with replacement: Envelope, via sender: any Sender) throws -> Bool {
        guard let target = (sender as? PostgresTransport)?.table,
              target.connection.info.databaseIdentity == table.connection.info.databaseIdentity else { return false }
        let item = Replacement(
            original: try table.claimOf(original), target: target.schema, queue: target.options.queueName,
            encoded: try target.serializer.encode(replacement), delayMilliseconds: replacement.availabilityOffsetMilliseconds(priorityAgingMilliseconds: target.priorityAgingMilliseconds),
            deduplication: replacement.deduplication, messageId: replacement.messageId,
            record: RecordedMessage(replacement, options: target.options.records), transport: target.name, flow: target.flowFields(replacement),
            holdsGroup: replacement.groupKey != nil && target.limits.holdsGroupOnFailure(type: replacement.messageName, queue: target.options.queueName))
        pendingReplacements.withLock { $0.append(item) }
        return true
    }

    /// Stores the batched replacements and acknowledgements, and gives back what was claimed ahead
    /// (the worker flushes when it goes idle, turns to another receiver or stops).
    func flush() async throws {
        try await endReadAhead()
        try await writeAcknowledgements()
    }

    /// Writes the pending replacements and acknowledgements.
    private func writeAcknowledgements() async throws {
        try await writeReplacements()
        let (owner, held, sql, tracked) = (table.owner, table.held, table.schema.deleteAcked, table.schema.tracked)
        try await withPendingAcks { acks in
            guard !acks.isEmpty else { return }
            let claims = acks.map(\.claim)
            let outcomes: [PostgresValue] = tracked ? OutcomeArrays(acks).parameters : []
            try await table.connection.run { connection in
                try connection.query(sql, PostgresSchema.claimParameters(owner: owner, claims) + outcomes)
                held.settle(claims)
            }
        }
    }

    func keepalive(_ envelope: Envelope) async throws {
        let claim = try table.claimOf(envelope)
        try await table.connection.query(table.schema.keepalive, [.int(claim.id), .int(table.owner), .int(claim.deliveries)])
    }

    /// Gives back claimed messages, and what was claimed ahead first (so that it cannot take them again).
    func release(_ envelopes: [Envelope]) async throws {
        try await endReadAhead()
        try await release(try envelopes.map(table.claimOf))
    }

    private func release(_ claims: [PostgresClaim]) async throws {
        let (owner, held, schema) = (table.owner, table.held, table.schema)
        try await table.connection.run { connection in
            try Self.release(claims, schema: schema, owner: owner, on: connection)
            held.settle(claims)
        }
    }

    /// Gives claims back (see `PostgresSchema.release`).
    static func release(_ claims: [PostgresClaim], schema: PostgresSchema, owner: Int64, prepare: Bool = true, on connection: isolated PostgresConnection) throws {
        let why: [PostgresValue] = schema.tracked ? [.text("superseded by a newer message with the same deduplication key")] : []
        try connection.query(schema.release, PostgresSchema.claimParameters(owner: owner, claims) + why, prepare: prepare)
    }

    func isClaimLost(_ envelope: Envelope) -> Bool {
        guard let claim = try? table.claimOf(envelope) else { return false }
        return table.held.takeLost(claim)
    }

    // MARK: Replacements

    /// Writes the pending replacements in one transaction. A statement the database refuses for a
    /// reason of its own (not a lost connection or a timeout) is tried again one replacement at a
    /// time; one that still fails gives its original back, to be delivered again, and is logged.
    private func writeReplacements() async throws {
        let replacements = pendingReplacements.withLock { pending in defer { pending = [] }; return pending }
        guard !replacements.isEmpty else { return }
        let (schema, owner, held) = (table.schema, table.owner, table.held)
        func write(_ items: [Replacement]) async throws {
            reportLost(try await table.connection.transaction { connection in try Self.write(items, schema: schema, owner: owner, held: held, on: connection) })
        }
        do {
            try await write(replacements)
        } catch let error as PostgresError where error.kind == .statement && !error.isLockTimeout && !error.isStatementTimeout {
            for replacement in replacements {
                do {
                    try await write([replacement])
                } catch {
                    table.logger.error("Cannot store the retry or parked copy of message \(replacement.original.id); it is given back and will be delivered again: \(error)")
                    try? await release([replacement.original])
                }
            }
        } catch {
            pendingReplacements.withLock { $0.insert(contentsOf: replacements, at: 0) }
            throw error
        }
    }

    /// Removes each original and stores its replacement, inside the caller's transaction; returns how
    /// many replacements were dropped because their original was no longer this worker's.
    private static func write(_ replacements: [Replacement], schema: PostgresSchema, owner: Int64, held: HeldClaims,
                              on connection: isolated PostgresConnection) throws -> Int {
        var stored = 0
        for (target, group) in Dictionary(grouping: replacements.filter { $0.deduplication == nil }, by: \.target.table) {
            let originals = group.map(\.original)
            var statement = schema
            statement.tracked = group[0].target.tracked
            let records = RecordArrays(group.map { ($0.record, $0.transport) })
            stored += try connection.query(statement.replaceClaims(into: target), PostgresSchema.claimParameters(owner: owner, originals) + [
                .integers(originals.map(\.id)), .array(group.map(\.encoded.body)), .array(group.map(\.encoded.headers)),
                .array(group.map(\.queue)), .integers(group.map(\.delayMilliseconds)), .optionalArray(group.map(\.messageId)),
            ] + (statement.tracked ? records.parameters : []) + FlowFields.arrays(group.map(\.flow))
              + [.array(group.map { $0.holdsGroup ? "true" : "false" })]).count
        }
        for replacement in replacements {
            guard let rule = replacement.deduplication else { continue }
            let original = replacement.original
            guard let removed = try connection.query(schema.deleteClaim, [.int(owner), .int(original.id), .int(original.deliveries)]).rows.first else { continue }
            stored += 1
            // A retry that holds its group keeps its original's place there.
            let order = replacement.holdsGroup && removed[1] != nil && removed[1] == replacement.flow.group ? removed[2].flatMap { Int64($0) } : nil
            // Nil: a pending message with the same key stands for this one.
            let records = RecordArrays([(replacement.record, replacement.transport)])
            if try PostgresSender.insertDeduplicated(replacement.encoded, delay: replacement.delayMilliseconds, rule: rule, queue: replacement.queue,
                                                     messageId: replacement.messageId, records: records, flow: replacement.flow, order: order,
                                                     schema: replacement.target, on: connection) == nil,
               let id = replacement.messageId, replacement.target.tracked {
                try connection.query(PostgresRecordSchema.cancelledById, [.text(id)])
            }
        }
        held.settle(replacements.map(\.original))
        return replacements.count - stored
    }

    private func reportLost(_ lost: Int) {
        guard lost > 0 else { return }
        table.logger.warning("\(lost) failed message(s) were not retried or parked from here: another worker had taken them and handles them")
    }

    // MARK: Reconnection

    /// After a reconnection, or a lease that had run out: rows the owner key holds that this
    /// transport does not know it holds were claimed by a statement whose answer was lost, and are
    /// given back uncounted; rows it knew it held that the key no longer holds are marked lost, so
    /// that the worker does not start them. Acknowledgements still to write are among the rows held:
    /// they go with the next claim, never handed out again.
    static func reconcile(on connection: isolated PostgresConnection, schema: PostgresSchema, owner: Int64, held: HeldClaims, logger: Logger) throws {
        guard let known = held.heldIfClaimed else { return }
        do {
            let owned = PostgresSchema.claims(of: try connection.query(schema.ownedClaims, [.int(owner)], prepare: false).rows, deliveriesIn: 1)
            let knownCounts = Dictionary(known.map { ($0.id, $0.deliveries) }, uniquingKeysWith: { $1 })
            let ownedCounts = Dictionary(owned.map { ($0.id, $0.deliveries) }, uniquingKeysWith: { $1 })
            let orphans = owned.filter { knownCounts[$0.id] != $0.deliveries }
            if !orphans.isEmpty {
                try release(orphans, schema: schema, owner: owner, prepare: false, on: connection)
                logger.warning("Gave back \(orphans.count) message(s) claimed by a statement whose answer was lost with the connection")
            }
            let lost = known.filter { ownedCounts[$0.id] != $0.deliveries }
            if !lost.isEmpty {
                held.markLost(lost)
                logger.notice("\(lost.count) message(s) held before the connection was lost are no longer this worker's (acknowledged by a statement whose answer was lost, or taken by another worker meanwhile); those not started yet will not be")
            }
        } catch let error as PostgresError where error.endedSession {
            // Lost again before the comparison: the connection is not used, the next one compares.
            throw error
        } catch {
            logger.warning("Cannot compare the claims held before the connection was lost with the table; unknown ones wait for redeliver_timeout: \(error)")
        }
    }
}
