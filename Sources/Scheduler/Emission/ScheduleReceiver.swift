import CoreMetrics
import Foundation
import Logging
import Messenger
import Synchronization
import Tracing

/// The `scheduler_<name>` receiver: emits each due occurrence of a schedule once, whatever the number
/// of processes consuming it.
///
/// Each tick works out, per task, the occurrences due since its checkpoint and what the catch-up
/// policy makes of them, then records them in the ledger in one transaction. A message routed to a
/// transport is dispatched through the bus inside that transaction, so it is stored if and only if its
/// occurrence is recorded (when the transport shares the ledger's database). A message routed nowhere
/// is handed to the consuming worker, which handles it. What is due is kept in memory only as a cache
/// of the ledger: the records decide.
///
/// Each emission starts a trace (an `emit <schedule>/<task>` span) and counts in
/// `scheduler_runs_total`, with its lag (`scheduler_run_lag_seconds`); skipped occurrences count in
/// `scheduler_missed_runs_total`.
public actor ScheduleReceiver: DelayAwareReceiver {
    /// What one tick did.
    public struct TickSummary: Sendable, Equatable {
        /// Occurrences this process emitted.
        public var emitted = 0
        /// Occurrences the catch-up policy skipped.
        public var skipped = 0
        /// Occurrences another process recorded first.
        public var takenElsewhere = 0

        /// A summary with these counts.
        public init(emitted: Int = 0, skipped: Int = 0, takenElsewhere: Int = 0) {
            self.emitted = emitted
            self.skipped = skipped
            self.takenElsewhere = takenElsewhere
        }
    }

    private struct Task {
        let message: RecurringMessage
        let trigger: any Trigger
        var checkpoint: Date?
        var next: Date?
    }

    private struct Emission: Sendable {
        let messageId: String?
        let messageType: String
        let destination: String
        let local: Envelope?
    }

    /// `scheduler_<schedule name>`.
    public nonisolated let name: String
    /// The schedule it emits.
    public nonisolated let schedule: Schedule
    private let ledger: any OccurrenceLedger
    private let bus: MessageBus
    private let senders: SendersLocator
    private let clock: any SchedulerClock
    private let logger: Logger
    private var tasks: [Task]
    /// Index in `tasks` by task name.
    private let taskIndex: [String: Int]
    private var loaded = false
    private var ready: [Envelope] = []
    private var lastPrune: Date?

    /// A receiver for `schedule`, named `scheduler_<schedule name>`; every trigger is built here, so a
    /// bad one is an error now rather than at its first occurrence.
    public init(schedule: Schedule, ledger: any OccurrenceLedger, bus: MessageBus, senders: SendersLocator, clock: any SchedulerClock = SystemSchedulerClock(), logger: Logger) throws {
        name = "scheduler_\(schedule.name)"
        self.schedule = schedule
        self.ledger = ledger
        self.bus = bus
        self.senders = senders
        self.clock = clock
        self.logger = logger
        tasks = try schedule.messages.map { message in
            do {
                return Task(message: message, trigger: try message.makeTrigger(schedule: schedule.name))
            } catch {
                throw ScheduleError("schedule \(schedule.name), task \(message.name): \(error)")
            }
        }
        taskIndex = Dictionary(uniqueKeysWithValues: schedule.messages.enumerated().map { ($1.name, $0) })
    }

    // MARK: Receiver

    public func get(limit: Int) async throws -> [Envelope] {
        if ready.isEmpty { try await tick() }
        let batch = Array(ready.prefix(max(1, limit)))
        ready.removeFirst(batch.count)
        return batch
    }

    /// The occurrence was recorded when it was emitted: nothing is left to do.
    public func ack(_ envelope: Envelope) async throws {}
    public func reject(_ envelope: Envelope) async throws {}

    public func nextAvailableDate() async throws -> Date? {
        if !ready.isEmpty { return Date() }
        return tasks.compactMap { $0.message.enabled ? $0.next : nil }.min().map(clock.realDate(for:))
    }

    /// Releases the ledger's connection.
    public func close() async { await ledger.close() }

    // MARK: Ticks

    /// Emits every occurrence due now.
    @discardableResult
    public func tick() async throws -> TickSummary {
        let now = clock.now()
        var entries: [OccurrenceEntry] = []
        if !loaded { entries += try await load(now: now) }
        var summary = TickSummary()
        var advanced: [(Int, Date?, Date?)] = []
        for index in tasks.indices where tasks[index].message.enabled {
            guard let next = tasks[index].next, next <= now, let checkpoint = tasks[index].checkpoint else { continue }
            let task = tasks[index].message
            let plan = OccurrencePlan.make(
                trigger: tasks[index].trigger, checkpoint: checkpoint, now: now, policy: task.catchUp,
                misfireGraceSeconds: task.misfireGraceSeconds, maxCatchUp: task.maxCatchUp
            )
            entries += plan.emit.map { OccurrenceEntry(key(task, $0), status: .emitted) }
            if let marker = plan.skipMarker { entries.append(OccurrenceEntry(key(task, marker), status: .skipped)) }
            if plan.skipped > 0 || plan.lookBackExceeded {
                summary.skipped += plan.skipped
                Counter(label: MessengerMetrics.schedulerMissedRuns, dimensions: [("schedule", schedule.name), ("task", task.name)]).increment(by: plan.skipped)
                logger.notice("Skipping missed occurrences of \(schedule.name)/\(task.name)", metadata: [
                    "schedule": "\(schedule.name)", "task": "\(task.name)", "skipped": "\(plan.skipped)\(plan.lookBackExceeded ? "+ (some older than 31 days)" : "")",
                    "catch_up": "\(task.catchUp.rawValue)", "emitting": "\(plan.emit.map { $0.formatted(.iso8601) }.joined(separator: ", "))",
                ])
            }
            let newCheckpoint = [plan.emit.last, plan.skipMarker, checkpoint].compactMap { $0 }.max()
            advanced.append((index, newCheckpoint, plan.next))
        }
        guard !entries.isEmpty else {
            for (index, checkpoint, next) in advanced { (tasks[index].checkpoint, tasks[index].next) = (checkpoint, next) }
            return summary
        }
        let emissions = Mutex<[OccurrenceKey: Emission]>([:])
        let recorded = try await ledger.record(entries) { due in
            let made = try await self.emit(due)
            emissions.withLock { $0 = made }
            return made.compactMapValues(\.messageId)
        }
        for (index, checkpoint, next) in advanced { (tasks[index].checkpoint, tasks[index].next) = (checkpoint, next) }
        let made = emissions.withLock { $0 }
        for entry in recorded where entry.status == .emitted {
            guard let emission = made[entry.key] else { continue }
            summary.emitted += 1
            if let local = emission.local { ready.append(local) }
            let task = [("schedule", entry.key.schedule), ("task", entry.key.task)]
            Counter(label: MessengerMetrics.schedulerRuns, dimensions: task + [("message_type", emission.messageType)]).increment()
            CoreMetrics.Timer(label: MessengerMetrics.schedulerRunLag, dimensions: task, preferredDisplayUnit: .seconds)
                .recordSeconds(max(0, now.timeIntervalSince(entry.key.date)))
            logger.notice("Scheduled message emitted", metadata: [
                "schedule": "\(entry.key.schedule)", "task": "\(entry.key.task)", "occurrence": "\(entry.key.date.formatted(.iso8601))",
                "message.id": "\(emission.messageId ?? "-")", "message.type": "\(emission.messageType)", "destination": "\(emission.destination)",
            ])
        }
        summary.takenElsewhere = entries.filter { $0.status == .emitted }.count - summary.emitted
        if summary.takenElsewhere > 0 {
            logger.debug("Occurrences already emitted by another process", metadata: ["schedule": "\(schedule.name)", "count": "\(summary.takenElsewhere)"])
        }
        try await pruneIfDue()
        return summary
    }

    /// Reads the checkpoints; a task seen for the first time is registered at `now` (occurrences before
    /// its first sighting are not owed).
    private func load(now: Date) async throws -> [OccurrenceEntry] {
        try await ledger.setup()
        let checkpoints = try await ledger.checkpoints(schedule: schedule.name)
        var registrations: [OccurrenceEntry] = []
        for index in tasks.indices {
            let task = tasks[index].message
            let checkpoint = checkpoints[task.name] ?? now
            if checkpoints[task.name] == nil { registrations.append(OccurrenceEntry(key(task, now), status: .registered)) }
            tasks[index].checkpoint = checkpoint
            tasks[index].next = tasks[index].trigger.nextRun(after: checkpoint)
            warnIfNotTransactional(task)
        }
        loaded = true
        logger.info("Schedule \(schedule.name) loaded", metadata: [
            "tasks": "\(tasks.count)", "enabled": "\(tasks.filter(\.message.enabled).count)", "new": "\(registrations.count)",
        ])
        return registrations
    }

    private func warnIfNotTransactional(_ task: RecurringMessage) {
        guard task.enabled, let targets = try? senders.senders(for: Envelope(task.message)) else { return }
        for (transport, sender) in targets where !(sender is SyncTransport) && !ledger.sharesTransaction(with: sender) {
            logger.warning("\(schedule.name)/\(task.name) is routed to \(transport), outside the database of the occurrence records: a crash between storing the message and recording its occurrence may emit it twice")
        }
    }

    /// Dispatches the messages of `entries` through the bus; those routed to batch senders (the table
    /// transports) are stored together, one statement per transport, when all are dispatched.
    private func emit(_ entries: [OccurrenceEntry]) async throws -> [OccurrenceKey: Emission] {
        let deferred = DeferredSends()
        var emissions: [OccurrenceKey: Emission] = [:]
        var routed: [(Int, OccurrenceKey, String, [String])] = []
        try await deferred.collect {
            for (tag, entry) in entries.enumerated() {
                guard let index = taskIndex[entry.key.task] else { throw ScheduleError("unknown task \(entry.key.task)") }
                let task = tasks[index].message
                try await withSpan("emit \(schedule.name)/\(task.name)", context: .topLevel, ofKind: .producer) { span in
                    span.attributes["messaging.system"] = MessagingSpan.system
                    span.attributes["messaging.operation.type"] = "create"
                    span.attributes["scheduler.schedule"] = schedule.name
                    span.attributes["scheduler.task"] = task.name
                    span.attributes["scheduler.occurrence"] = entry.key.date.formatted(.iso8601)
                    let envelope = Envelope(task.message, stamps: [ScheduledStamp(schedule: schedule.name, task: task.name, occurrence: entry.key.date)])
                    let targets = senders.transportNames(for: envelope)
                    if targets.isEmpty {
                        let id = "\(entry.key)"
                        let local = envelope.withCurrentTraceContext().with(ReceivedStamp(transportName: name), TransportMessageIdStamp(id))
                        emissions[entry.key] = Emission(messageId: id, messageType: envelope.messageName, destination: "handled by this worker", local: local)
                        return
                    }
                    let sent = try await bus.dispatch(envelope.with(DeferredSendTagStamp(tag)))
                    routed.append((tag, entry.key, envelope.messageName, targets))
                    if let id = sent.last(TransportMessageIdStamp.self)?.id {
                        emissions[entry.key] = Emission(messageId: id, messageType: envelope.messageName, destination: targets.joined(separator: ","), local: nil)
                    }
                }
            }
        }
        let ids = try await deferred.flush()
        for (tag, key, type, targets) in routed where emissions[key] == nil {
            emissions[key] = Emission(messageId: ids[tag], messageType: type, destination: targets.joined(separator: ","), local: nil)
        }
        return emissions
    }

    /// Once an hour of real time: records are stamped with real time, whatever the schedule's clock.
    private func pruneIfDue() async throws {
        let now = Date()
        if let lastPrune, now.timeIntervalSince(lastPrune) < 3600 { return }
        lastPrune = now
        try await ledger.prune(schedule: schedule.name, before: now.addingTimeInterval(-7 * 86_400))
    }

    private func key(_ task: RecurringMessage, _ date: Date) -> OccurrenceKey {
        OccurrenceKey(schedule: schedule.name, task: task.name, at: date)
    }
}
