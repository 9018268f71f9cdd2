import Foundation
import Synchronization

/// `in-memory://`: keeps messages in the process, for tests and for work that may be lost on exit.
///
/// It keeps status records, worker records and paused queues in memory too, with the same rules as
/// the table transports (the transport contract suite runs on all three).
public final class InMemoryTransport: ListableReceiver, MessageCountingTransport, DelayAwareReceiver, MessageRecordStore, WorkerRegistry,
    QueuePauseControl, OperatorCredentialStore
{
    private struct Stored {
        var envelope: Envelope
        var availableAt: Date
        var createdAt: Date
        var claimed: Bool
        var deliveries: Int
    }

    private struct State {
        var nextId = 1
        var messages: [Int: Stored] = [:]
        var acked: [Envelope] = []
        var rejected: [Envelope] = []
        var records: [String: MessageRecord] = [:]
        var workers: [String: WorkerRecord] = [:]
        /// Attempts finished per minute (epoch ms of its start), from the workers' heartbeats.
        var throughput: [Int64: (completed: Int, failed: Int)] = [:]
        var paused = false
        var credentials: [String: OperatorCredential] = [:]
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Date
    /// The name records give this transport, its queue's name, and its status-record options.
    public let name: String
    /// Which messages get a status record, and for how long.
    public let recordOptions: RecordOptions
    /// What a level of `PriorityStamp` is worth, in seconds of waiting.
    public let priorityAgingSeconds: Int
    private let instance = UUID().uuidString

    /// An in-memory transport named `name`, on the clock `now` (the system's by default).
    public init(name: String = "in-memory", recordOptions: RecordOptions = RecordOptions(), priorityAgingSeconds: Int = 60,
                now: @escaping @Sendable () -> Date = Date.init) {
        self.name = name
        self.recordOptions = recordOptions
        self.priorityAgingSeconds = priorityAgingSeconds
        self.now = now
    }

    public func send(_ envelope: Envelope) async throws -> Envelope {
        let date = now()
        let delay = Double(envelope.availabilityOffsetMilliseconds(priorityAgingMilliseconds: Int64(priorityAgingSeconds) * 1000)) / 1000
        return state.withLock { state in
            if let rule = envelope.deduplication {
                let retried = Self.id(of: envelope)
                let pending = state.messages.filter { id, stored in
                    id != retried && stored.envelope.deduplication?.key == rule.key
                        && (!stored.claimed || stored.envelope.deduplication?.whileHandling == true)
                }.keys.min()
                if let pending {
                    let existing = state.messages[pending]!
                    let debounced = rule.debounce && !existing.claimed
                    if debounced { state.messages[pending]!.availableAt = date.addingTimeInterval(delay) }
                    let due = state.messages[pending]!.availableAt
                    let status: MessageStatus = existing.claimed ? .running : due > date ? .scheduled : .queued
                    if let id = existing.envelope.messageId, state.records[id] != nil, !existing.claimed {
                        state.records[id]!.availableAt = due
                        state.records[id]!.status = status
                    }
                    return envelope.with(DeduplicatedStamp(existingMessageId: String(pending), debounced: debounced,
                                                           existingId: existing.envelope.messageId, existingStatus: status))
                }
            }
            let id = state.nextId
            state.nextId += 1
            let stamped = envelope.withoutAll(DelayStamp.self).withoutAll(TransportMessageIdStamp.self).withoutAll(StoredStatusStamp.self)
                .with(TransportMessageIdStamp(String(id)))
            state.messages[id] = Stored(envelope: stamped, availableAt: date.addingTimeInterval(delay), createdAt: date, claimed: false, deliveries: 0)
            if let recorded = RecordedMessage(envelope, options: recordOptions) {
                var record = state.records[recorded.id] ?? MessageRecord(id: recorded.id, type: recorded.type, transport: name, queue: name,
                                                                         status: recorded.status, createdAt: date, availableAt: date, origin: recorded.origin)
                record.status = recorded.status
                record.availableAt = date.addingTimeInterval(max(0, delay))
                record.rowId = String(id)
                record.body = (try? JSONEncoder().encode(envelope.message)).map { String(decoding: $0, as: UTF8.self) }
                record.finishedAt = recorded.status == .failed ? date : nil
                record.errorType = recorded.errorType ?? record.errorType
                record.errorMessage = recorded.errorMessage ?? record.errorMessage
                record.errorHandler = recorded.errorHandler ?? record.errorHandler
                record.attempts = max(record.attempts, recorded.attempts ?? 0)
                record.progress = nil
                record.progressNote = nil
                record.cancelRequested = false
                state.records[recorded.id] = record
            }
            return stamped
        }
    }

    public func get(limit: Int) async throws -> [Envelope] {
        let date = now()
        return state.withLock { state in
            guard !state.paused else { return [] }
            // Due time first (a prioritized message counts as due earlier), then dispatch order.
            let due = state.messages.filter { !$0.value.claimed && $0.value.availableAt <= date }
                .sorted { ($0.value.availableAt, $0.key) < ($1.value.availableAt, $1.key) }.map(\.key).prefix(limit)
            return due.map { id in
                state.messages[id]!.claimed = true
                state.messages[id]!.deliveries += 1
                let stored = state.messages[id]!
                // A priority makes a message due before it was sent: its wait counts from its sending.
                return stored.envelope.with(DeliveryCountStamp(stored.deliveries), AvailableAtStamp(max(stored.availableAt, stored.createdAt)))
            }
        }
    }

    public func ack(_ envelope: Envelope) async throws {
        let date = now()
        state.withLock { state in
            if let id = Self.id(of: envelope), state.messages.removeValue(forKey: id) != nil { Self.finished(envelope, at: date, in: &state) }
            state.acked.append(envelope)
        }
    }

    public func reject(_ envelope: Envelope) async throws {
        let date = now()
        state.withLock { state in
            if let id = Self.id(of: envelope), state.messages.removeValue(forKey: id) != nil { Self.finished(envelope, at: date, in: &state) }
            state.rejected.append(envelope)
        }
    }

    private static func started(_ start: MessageStart, in state: inout State) {
        guard let record = state.records[start.messageId], [.queued, .scheduled, .retrying].contains(record.status) else { return }
        state.records[start.messageId]!.status = .running
        state.records[start.messageId]!.attempts = start.attempt
        state.records[start.messageId]!.startedAt = start.startedAt
        state.records[start.messageId]!.finishedAt = nil
        state.records[start.messageId]!.workerId = start.workerId
    }

    private static func finished(_ envelope: Envelope, at date: Date, in state: inout State) {
        guard let id = envelope.messageId, state.records[id] != nil, let outcome = envelope.outcome else { return }
        state.records[id]!.status = outcome.status
        if let start = outcome.start {
            state.records[id]!.attempts = start.attempt
            state.records[id]!.startedAt = start.startedAt
            state.records[id]!.workerId = start.workerId
        }
        state.records[id]!.finishedAt = date
        state.records[id]!.rowId = nil
        switch outcome.outcome {
        case .completed(let result): state.records[id]!.result = result
        case .cancelled: break
        case .failed(let details):
            state.records[id]!.errorType = details.errorType
            state.records[id]!.errorMessage = details.message
            state.records[id]!.errorHandler = details.location
        }
    }

    private static func cancelled(_ id: String?, at date: Date, why: String?, in state: inout State) {
        guard let id, state.records[id] != nil else { return }
        state.records[id]!.status = .cancelled
        state.records[id]!.finishedAt = date
        state.records[id]!.rowId = nil
        if let why { state.records[id]!.errorMessage = why }
    }

    public func release(_ envelopes: [Envelope]) async throws {
        let date = now()
        state.withLock { state in
            for envelope in envelopes {
                // A newer message with the same key waits already: it stands for this one.
                if let id = Self.id(of: envelope), let key = state.messages[id]?.envelope.deduplication?.key,
                   state.messages.contains(where: { $0.key != id && !$0.value.claimed && $0.value.envelope.deduplication?.key == key }) {
                    state.messages[id] = nil
                    Self.cancelled(envelope.messageId, at: date, why: "superseded by a newer message with the same deduplication key", in: &state)
                    continue
                }
                if let id = Self.id(of: envelope), let stored = state.messages[id] {
                    state.messages[id]!.claimed = false
                    state.messages[id]!.deliveries -= 1
                    if let messageId = envelope.messageId, state.records[messageId]?.status == .running {
                        state.records[messageId]!.status = stored.availableAt > date ? .scheduled : .queued
                    }
                }
            }
        }
    }

    /// The first `limit` stored messages, claimed or not, in id order.
    public func list(limit: Int) async throws -> [Envelope] {
        state.withLock { state in state.messages.keys.sorted().prefix(limit).map { state.messages[$0]!.envelope } }
    }

    /// The stored message with transport id `id`, if any.
    public func find(id: String) async throws -> Envelope? {
        state.withLock { state in Int(id).flatMap { state.messages[$0]?.envelope } }
    }

    public func claim(id: String) async throws -> ClaimByIdResult {
        state.withLock { state in
            guard let number = Int(id), let stored = state.messages[number] else { return .missing }
            guard !stored.claimed else { return .held }
            state.messages[number]!.claimed = true
            state.messages[number]!.deliveries += 1
            if let id = stored.envelope.messageId {
                let attempt = (state.records[id]?.attempts ?? 0) + 1
                Self.started(MessageStart(messageId: id, attempt: attempt, startedAt: now()), in: &state)
            }
            return .claimed(stored.envelope.with(DeliveryCountStamp(stored.deliveries + 1)))
        }
    }

    public func remove(id: String) async throws -> RemoveByIdResult {
        state.withLock { state in
            guard let number = Int(id), let stored = state.messages[number] else { return .missing }
            guard !stored.claimed else { return .held }
            state.messages[number] = nil
            Self.cancelled(stored.envelope.messageId, at: now(), why: "removed by an operator", in: &state)
            return .removed
        }
    }

    /// Its counts now.
    public func statistics() async throws -> TransportStatistics {
        let date = now()
        return state.withLock { state in
            let all = state.messages.values
            return TransportStatistics(
                total: all.count,
                ready: all.filter { !$0.claimed && $0.availableAt <= date }.count,
                delayed: all.filter { !$0.claimed && $0.availableAt > date }.count,
                inFlight: all.filter(\.claimed).count,
                oldestAgeSeconds: all.map(\.createdAt).min().map { date.timeIntervalSince($0) }
            )
        }
    }

    /// When the next waiting message falls due.
    public func nextAvailableDate() async throws -> Date? {
        state.withLock { state in state.messages.values.filter { !$0.claimed }.map(\.availableAt).min() }
    }

    // MARK: Status records, workers, paused queue

    public var recordStoreIdentity: String { "in-memory:" + instance }
    public var retention: RecordRetention { recordOptions.retention }
    public var recordsMessages: Bool { recordOptions.writesRecords }

    public func record(id: String) async throws -> MessageRecord? { state.withLock { $0.records[id] } }

    public func records(matching query: MessageRecordQuery) async throws -> [MessageRecord] {
        state.withLock { state in
            let ordered = state.records.values.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
            return Array(ordered.filter(query.matches).prefix(max(1, query.limit)))
        }
    }

    public func cancel(id: String) async throws -> CancelResult {
        let date = now()
        return state.withLock { state in
            guard let record = state.records[id] else { return .missing }
            if record.status.isFinished { return .alreadyFinished(record.status) }
            if let row = record.rowId.flatMap(Int.init), let stored = state.messages[row], !stored.claimed {
                state.messages[row] = nil
                Self.cancelled(id, at: date, why: nil, in: &state)
                return .cancelled
            }
            state.records[id]!.cancelRequested = true
            return .cancelling
        }
    }

    public func recordStarts(_ starts: [MessageStart]) async throws {
        state.withLock { state in for start in starts { Self.started(start, in: &state) } }
    }

    public func reportProgress(_ reports: [ProgressReport]) async throws {
        state.withLock { state in
            for report in reports where state.records[report.messageId]?.status == .running {
                state.records[report.messageId]!.progress = report.fraction
                state.records[report.messageId]!.progressNote = report.note
            }
        }
    }

    public func cancellationRequests(among ids: [String]) async throws -> Set<String> {
        state.withLock { state in Set(ids.filter { state.records[$0]?.cancelRequested == true }) }
    }

    public func prune(_ retention: RecordRetention, limit: Int) async throws -> Int {
        let date = now()
        return state.withLock { state in
            let (completed, failed) = retention.cutoffs(now: date)
            var doomed = state.records.values.filter { record in
                guard let finished = record.finishedAt?.epochMilliseconds else { return false }
                return record.status == .failed ? finished < failed : finished < completed
            }.map(\.id)
            if let maximum = retention.maxFinished {
                let kept = state.records.values.filter { $0.status == .completed && !doomed.contains($0.id) }
                    .sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
                doomed += kept.dropFirst(maximum).map(\.id)
            }
            let removed = doomed.prefix(limit)
            for id in removed { state.records[id] = nil }
            return removed.count
        }
    }

    public func forget(ids: [String]) async throws -> Int {
        state.withLock { state in
            let finished = ids.filter { state.records[$0]?.status.isFinished == true }
            for id in finished { state.records[id] = nil }
            return finished.count
        }
    }

    public func finishedCounts(since: Date, bucketSeconds: Int) async throws -> [FinishedCount] {
        let width = Int64(max(60, bucketSeconds)) * 1000
        let first = since.epochMilliseconds / 60_000 * 60_000
        return state.withLock { state in
            var buckets: [Int64: (completed: Int, failed: Int)] = [:]
            for (minute, counts) in state.throughput where minute >= first {
                buckets[minute / width * width, default: (0, 0)].completed += counts.completed
                buckets[minute / width * width, default: (0, 0)].failed += counts.failed
            }
            return buckets.flatMap { FinishedCount.pair(bucketStartMilliseconds: $0.key, completed: $0.value.completed, failed: $0.value.failed) }
        }
    }

    public func recentTimings(limit: Int) async throws -> [MessageTiming] {
        state.withLock { state in
            [MessageStatus.completed, .failed].flatMap { status in
                state.records.values.filter { $0.status == status && $0.startedAt != nil && $0.finishedAt != nil }
                    .sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }.prefix(limit).map { record in
                        MessageTiming(waitMilliseconds: record.startedAt!.epochMilliseconds - record.availableAt.epochMilliseconds,
                                      runMilliseconds: record.finishedAt!.epochMilliseconds - record.startedAt!.epochMilliseconds)
                    }
            }
        }
    }

    public func saveCredential(_ credential: OperatorCredential) async throws {
        state.withLock { $0.credentials["\(credential.kind.rawValue)/\(credential.key)"] = credential }
    }

    public func credential(kind: OperatorCredential.Kind, key: String) async throws -> OperatorCredential? {
        let date = now()
        return state.withLock { state in
            state.credentials["\(kind.rawValue)/\(key)"].flatMap { ($0.expiresAt.map { $0 > date } ?? true) ? $0 : nil }
        }
    }

    public func credentials(kind: OperatorCredential.Kind) async throws -> [OperatorCredential] {
        let date = now()
        return state.withLock { state in
            state.credentials.values.filter { $0.kind == kind && ($0.expiresAt.map { $0 > date } ?? true) }.sorted { $0.name < $1.name }
        }
    }

    public func deleteCredential(kind: OperatorCredential.Kind, key: String) async throws -> Bool {
        let date = now()
        return state.withLock { state in
            state.credentials = state.credentials.filter { $0.value.expiresAt.map { $0 > date } ?? true }
            return state.credentials.removeValue(forKey: "\(kind.rawValue)/\(key)") != nil
        }
    }

    public func heartbeat(_ worker: WorkerRecord) async throws {
        state.withLock { state in
            let previous = state.workers[worker.id]
            let failed = worker.failed - (previous?.failed ?? 0)
            let completed = worker.handled - (previous?.handled ?? 0) - failed
            if completed + failed > 0 {
                let minute = worker.heartbeatAt.epochMilliseconds / 60_000 * 60_000
                state.throughput[minute, default: (0, 0)].completed += completed
                state.throughput[minute, default: (0, 0)].failed += failed
            }
            state.workers[worker.id] = worker
        }
    }

    public func workers() async throws -> [WorkerRecord] {
        state.withLock { $0.workers.values.sorted { $0.startedAt > $1.startedAt } }
    }

    public func forgetWorkers(before date: Date) async throws {
        state.withLock { state in
            state.workers = state.workers.filter { ($0.value.stoppedAt ?? $0.value.heartbeatAt) >= date }
            let oldest = now().addingTimeInterval(-Double(FinishedCount.keptDays) * 86_400).epochMilliseconds
            state.throughput = state.throughput.filter { $0.key >= oldest }
        }
    }

    public var queueName: String { name }
    public func pause(queue: String) async throws { state.withLock { if queue == name { $0.paused = true } } }
    public func resume(queue: String) async throws { state.withLock { if queue == name { $0.paused = false } } }
    public func pausedQueues() async throws -> Set<String> { state.withLock { $0.paused ? [name] : [] } }

    /// Envelopes acknowledged so far, for assertions.
    public var acknowledged: [Envelope] { state.withLock { $0.acked } }
    /// Envelopes rejected so far, for assertions.
    public var rejectedEnvelopes: [Envelope] { state.withLock { $0.rejected } }

    private static func id(of envelope: Envelope) -> Int? {
        envelope.last(TransportMessageIdStamp.self).flatMap { Int($0.id) }
    }
}
