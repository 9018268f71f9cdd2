import Foundation
import Logging
import Messenger
import Scheduler

/// What retrying a parked message did.
public enum FailedRetryOutcome: Sendable, Equatable {
    /// No such message in the failure transport (removed, or retried already).
    case missing
    /// Another process holds it (retrying or handling it): left alone.
    case held
    /// Handled and removed.
    case handled(type: String)
    /// Failed again: back in the failure transport with its new error.
    case failedAgain(type: String)
}

/// A transport's counts as `messenger:stats` and the dashboard show them.
public struct TransportOverview: Sendable, Encodable {
    /// The transport's name.
    public let transport: String
    /// The queue it stores into.
    public let queue: String?
    /// Its counts, when it counts messages and could be read.
    public let statistics: TransportStatistics?
    /// Why it could not be read (redacted).
    public let error: String?
    /// Its queue is paused (`messenger:pause`).
    public var paused = false
    /// The transport could not be read (as opposed to not counting messages at all).
    public var failed = false
    /// Due messages that flow control holds back (transports that enforce `limits:` and groups).
    public var heldBack: HeldBackCounts?

    private enum CodingKeys: String, CodingKey { case transport, queue, statistics, error, paused, heldBack }
}

/// A recurring message as `scheduler:list` and the dashboard show it.
public struct RecurringMessageSummary: Sendable {
    /// The schedule it belongs to.
    public let schedule: String
    /// Its name in the schedule.
    public let name: String
    /// Its trigger, as written.
    public let trigger: String
    /// The wire type of its message.
    public let messageType: String
    /// Its message, as JSON.
    public let message: String
    /// Its next runs.
    public let nextRuns: [Date]
    /// Its last emitted run, if the ledger has one.
    public let lastRun: Date?
    /// False when disabled by `config/scheduler.yaml`.
    public let enabled: Bool
    /// The time zone its runs are shown in.
    public let zone: TimeZone
}

/// A recurring message run by hand (`scheduler:run`, the dashboard's "run now").
public struct RecurringMessageRun: Sendable {
    /// The schedule.
    public let schedule: String
    /// The recurring message's name.
    public let name: String
    /// The message as dispatched (its id, where it went).
    public let envelope: Envelope
}

extension MessengerKernel {
    /// Handles a parked message again, here and now: claimed first (so that two operators never
    /// retry it twice), removed when it succeeds, back in the failure transport with its new error
    /// when it fails again.
    public func retryFailed(id: String, in failureTransport: String?, logger: Logger) async throws -> FailedRetryOutcome {
        let (name, receiver) = try self.failureTransport(named: failureTransport)
        let worker = Worker(transports: [], bus: bus, logger: logger, serializer: serializer)
        let target = WorkerTransport(
            name: name, receiver: receiver, retrySender: receiver, retryStrategy: MultiplierRetryStrategy(maxRetries: 0),
            failureDestination: .init(name: name, sender: receiver)
        )
        switch try await receiver.claim(id: id) {
        case .missing: return .missing
        case .held: return .held
        case .claimed(let envelope):
            let retry = envelope.with(RedeliveryStamp(retryCount: (envelope.last(RedeliveryStamp.self)?.retryCount ?? 0) + 1))
            return try await worker.handleOne(retry, from: target) ? .handled(type: envelope.messageName) : .failedAgain(type: envelope.messageName)
        }
    }

    /// The counts of these transports (default: every storing one), their queue and whether it is paused.
    public func transportOverviews(_ names: [String]? = nil) async throws -> [TransportOverview] {
        var rows: [TransportOverview] = []
        for name in names ?? storingTransportNames {
            let transport = try transport(named: name)
            let control = transport as? any QueuePauseControl
            guard let counting = transport as? any MessageCountingTransport else {
                rows.append(TransportOverview(transport: name, queue: control?.queueName, statistics: nil, error: "cannot count its messages"))
                continue
            }
            do {
                var row = TransportOverview(transport: name, queue: control?.queueName, statistics: try await counting.statistics(), error: nil)
                if let control { row.paused = try await control.pausedQueues().contains(control.queueName) }
                if let flow = transport as? any FlowControlledTransport { row.heldBack = try await flow.heldBack() }
                rows.append(row)
            } catch {
                rows.append(TransportOverview(transport: name, queue: control?.queueName, statistics: nil, error: String(describing: error), failed: true))
            }
        }
        return rows
    }

    /// The recurring messages of the schedules (or of one), with their next `next` runs from `date`
    /// and their last run; disabled ones and those that will not run again only with `all`.
    /// `lastRunsUnknown` hears why last runs are missing (an unreachable database).
    public func recurringMessages(schedule name: String? = nil, from date: Date = Date(), next: Int = 1, all: Bool = false,
                                  lastRunsUnknown: (any Error) -> Void = { _ in }) async throws -> [RecurringMessageSummary] {
        var schedules = try schedules()
        if let name { schedules = [try schedule(named: name, in: schedules)] }
        var lastRuns: [String: [String: Date]] = [:]
        do {
            let ledger = try occurrenceLedger()
            for schedule in schedules { lastRuns[schedule.name] = try await ledger.lastEmitted(schedule: schedule.name) }
            await ledger.close()
        } catch {
            lastRunsUnknown(error)
        }
        var rows: [RecurringMessageSummary] = []
        for schedule in schedules {
            for task in schedule.messages {
                let trigger = try task.makeTrigger(schedule: schedule.name)
                let runs = Self.nextRuns(of: trigger, after: date, count: next)
                guard all || (task.enabled && !runs.isEmpty) else { continue }
                rows.append(RecurringMessageSummary(
                    schedule: schedule.name, name: task.name, trigger: Self.describe(task, trigger), messageType: type(of: task.message).messageName,
                    message: task.summary, nextRuns: runs, lastRun: lastRuns[schedule.name]?[task.name], enabled: task.enabled, zone: task.zone
                ))
            }
        }
        return rows
    }

    /// Dispatches one recurring message now, through the bus (routing applies); `name` is a task name,
    /// or SCHEDULE/NAME when several schedules have one of that name. Not an occurrence: the
    /// schedule's own runs are unchanged.
    public func runRecurringMessage(_ name: String) async throws -> RecurringMessageRun {
        let schedules = try schedules()
        let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
        let candidates = schedules.filter { parts.count == 1 || $0.name == parts[0] }.compactMap { schedule in
            schedule[task: parts.last ?? ""].map { (schedule, $0) }
        }
        guard let (schedule, task) = candidates.first else {
            let known = schedules.flatMap { schedule in schedule.messages.map { "\(schedule.name)/\($0.name)" } }
            throw MessengerError(.unknownMessageType, "no recurring message \"\(name)\"; recurring messages: \(known.isEmpty ? "none" : known.joined(separator: ", "))")
        }
        guard candidates.count == 1 else {
            throw MessengerError(.unknownMessageType, "\"\(name)\" is in several schedules (\(candidates.map(\.0.name).joined(separator: ", "))); write SCHEDULE/\(name)")
        }
        let envelope = try await bus.dispatch(Envelope(task.message, stamps: [ScheduledStamp(schedule: schedule.name, task: task.name, occurrence: nil)]))
        logger.notice("Recurring message run by hand", metadata: [
            "schedule": "\(schedule.name)", "task": "\(task.name)", "message.id": "\(envelope.messageId ?? "-")",
        ])
        return RecurringMessageRun(schedule: schedule.name, name: task.name, envelope: envelope)
    }

    /// Where operator credentials are kept: the database of `async`, else of the first storing
    /// transport that can hold them; nil when none can (in-memory or sync transports only).
    public var credentialStore: (any OperatorCredentialStore)? {
        (["async"] + storingTransportNames).lazy.compactMap { self.transports[$0] as? any OperatorCredentialStore }.first
    }

    static func nextRuns(of trigger: any Trigger, after date: Date, count: Int) -> [Date] {
        var runs: [Date] = []
        var cursor = date
        while runs.count < count, let run = trigger.nextRun(after: cursor) {
            runs.append(run)
            cursor = run
        }
        return runs
    }

    /// The trigger as written, with what a hashed expression expands to and the jitter.
    static func describe(_ task: RecurringMessage, _ trigger: any Trigger) -> String {
        var text: String
        switch task.trigger {
        case .cron(_, let zone):
            let cron = (trigger as? JitterTrigger)?.inner ?? trigger
            text = cron.description + (zone.identifier == "UTC" ? "" : " (\(zone.identifier))")
        default:
            text = task.trigger.description
        }
        if task.jitterSeconds > 0 { text += " + up to \(task.jitterSeconds) s jitter" }
        return text
    }
}

extension RecurringMessage {
    /// The time zone its runs are shown in: the cron trigger's, else UTC.
    var zone: TimeZone {
        if case .cron(_, let zone) = trigger { return zone }
        return TimeZone(identifier: "UTC")!
    }
}
