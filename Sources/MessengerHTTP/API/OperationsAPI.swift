import Foundation
import Hummingbird
import Logging
import Messenger
import MessengerConsole
import Scheduler

/// `/api/queues`, `/api/schedules`, `/api/workers`, `/api/stats/throughput`: what an operator watches
/// and the levers they pull (pause, resume, run a schedule now).
struct OperationsAPI: Sendable {
    let monitor: MessengerMonitor
    let options: DashboardOptions
    var kernel: MessengerKernel { monitor.kernel }

    struct QueueView: Encodable {
        struct Counts: Encodable {
            let total: Int
            let ready: Int
            let delayed: Int
            let inFlight: Int
        }

        let transport: String
        let queue: String?
        let counts: Counts?
        let estimated: Bool
        let oldestWaitingSeconds: Double?
        let paused: Bool
        /// Ready messages held back by flow control: behind their ordered group, a full
        /// concurrency limit, a spent rate.
        let heldBack: HeldBackCounts?
        let error: String?
    }

    /// The queues' counts (`shared`: at most a second old, as the pages show them).
    func queueViews(shared: Bool) async throws -> [QueueView] {
        try await monitor.transportOverviews(shared: shared).map { row in
            QueueView(transport: row.transport, queue: row.queue,
                      counts: row.statistics.map { QueueView.Counts(total: $0.total, ready: $0.ready, delayed: $0.delayed, inFlight: $0.inFlight) },
                      estimated: row.statistics?.estimated ?? false, oldestWaitingSeconds: row.statistics?.oldestAgeSeconds, paused: row.paused,
                      heldBack: row.heldBack, error: row.failed ? "cannot be read" : row.error)
        }
    }

    func queues() async throws -> Response { try Responses.json(["queues": try await queueViews(shared: false)]) }

    struct PauseAnswer: Encodable {
        let queue: String
        let paused: Bool
    }

    /// `POST /api/queues/{name}/pause|resume`: a transport name or a queue name.
    func setPaused(_ name: String, _ paused: Bool) async throws -> Response {
        let found: (queue: String, controls: [any QueuePauseControl])
        do { found = try kernel.pauseControls(forQueue: name) } catch { throw HTTPProblem(.notFound, "\(error)") }
        for control in found.controls {
            if paused { try await control.pause(queue: found.queue) } else { try await control.resume(queue: found.queue) }
        }
        monitor.queuesChanged()
        kernel.logger.notice("Queue \(paused ? "paused" : "resumed") from the HTTP API", metadata: ["queue": "\(found.queue)"])
        return try Responses.json(PauseAnswer(queue: found.queue, paused: paused))
    }

    struct ScheduleView: Encodable {
        let schedule: String
        let name: String
        let trigger: String
        let messageType: String
        let message: String
        let nextRuns: [Date]
        let lastRun: Date?
        let enabled: Bool
        let timeZone: String
        let runUrl: String
    }

    func scheduleViews() async throws -> [ScheduleView] {
        try await kernel.recurringMessages(next: 3, all: true).map { summary in
            ScheduleView(schedule: summary.schedule, name: summary.name, trigger: summary.trigger, messageType: summary.messageType, message: summary.message,
                         nextRuns: summary.nextRuns, lastRun: summary.lastRun, enabled: summary.enabled, timeZone: summary.zone.identifier,
                         runUrl: "\(options.basePath)/api/schedules/\(Self.segment(summary.schedule))/\(Self.segment(summary.name))/run")
        }
    }

    func schedules() async throws -> Response { try Responses.json(["schedules": try await scheduleViews()]) }

    struct RunAnswer: Encodable {
        let schedule: String
        let name: String
        let id: String?
        let status: String
        let statusUrl: String?
        var error: MessageView.Failure?
    }

    /// `POST /api/schedules/{schedule}/{task}/run`: dispatched now, outside its schedule.
    func run(schedule: String, task: String) async throws -> Response {
        let run: RecurringMessageRun
        do {
            run = try await kernel.runRecurringMessage("\(schedule)/\(task)")
        } catch let error as MessengerError where error.code == .unknownMessageType {
            throw HTTPProblem(.notFound, error.message)
        } catch let failed as HandlerFailedError {
            return try Responses.json(RunAnswer(schedule: schedule, name: task, id: failed.envelope.messageId, status: MessageStatus.failed.rawValue,
                                                statusUrl: nil, error: MessagesAPI.failure(failed)))
        }
        let (id, status) = (run.envelope.messageId, MessageStatus.dispatched(run.envelope))
        return try Responses.json(RunAnswer(
            schedule: run.schedule, name: run.name, id: id, status: status.rawValue, statusUrl: id.map { MessageView.statusURL($0, basePath: options.basePath) }
        ), status: status == .completed ? .ok : .accepted)
    }

    func workers() async throws -> Response { try Responses.json(["workers": try await monitor.workers(shared: false)]) }

    /// `GET /api/stats/throughput?window=3600&bucket=60`.
    func throughput(_ request: Request) async throws -> Response {
        let (window, bucket) = try Self.window(request)
        return try Responses.json(try await monitor.throughput(window: window, bucket: bucket))
    }

    static func window(_ request: Request) throws -> (Int, Int) {
        let window = try request.integer("window", in: 60...(7 * 86_400), unit: " of seconds") ?? 3600
        let bucket = try request.integer("bucket", in: 60...86_400, unit: " of seconds") ?? 60
        // The workers count per minute.
        guard bucket % 60 == 0 else { throw HTTPProblem(.badRequest, "bucket must be a whole number of minutes in seconds (60, 120, …), got \(bucket)") }
        guard window / bucket <= 2000 else { throw HTTPProblem(.badRequest, "window / bucket must be at most 2000 buckets, got \(window / bucket)") }
        return (window, bucket)
    }

    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? text
    }
}
