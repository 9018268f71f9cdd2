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
        let error: String?
    }

    func queueViews() async throws -> [QueueView] {
        try await kernel.transportOverviews().map { row in
            QueueView(transport: row.transport, queue: row.queue,
                      counts: row.statistics.map { QueueView.Counts(total: $0.total, ready: $0.ready, delayed: $0.delayed, inFlight: $0.inFlight) },
                      estimated: row.statistics?.estimated ?? false, oldestWaitingSeconds: row.statistics?.oldestAgeSeconds, paused: row.paused,
                      error: row.failed ? "cannot be read" : row.error)
        }
    }

    func queues() async throws -> Response { try Responses.json(["queues": try await queueViews()]) }

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
    }

    /// `POST /api/schedules/{schedule}/{task}/run`: dispatched now, outside its schedule.
    func run(schedule: String, task: String) async throws -> Response {
        let run: RecurringMessageRun
        do {
            run = try await kernel.runRecurringMessage("\(schedule)/\(task)")
        } catch let error as MessengerError where error.code == .unknownMessageType {
            throw HTTPProblem(.notFound, error.message)
        }
        let stored = !run.envelope.all(SentStamp.self).isEmpty
        let id = run.envelope.messageId
        return try Responses.json(RunAnswer(
            schedule: run.schedule, name: run.name, id: id, status: stored ? MessageStatus.stored(run.envelope).rawValue : MessageStatus.completed.rawValue,
            statusUrl: id.map { MessageView.statusURL($0, basePath: options.basePath) }
        ), status: stored ? .accepted : .ok)
    }

    func workers() async throws -> Response { try Responses.json(["workers": try await monitor.workers()]) }

    /// `GET /api/stats/throughput?window=3600&bucket=60`.
    func throughput(_ request: Request) async throws -> Response {
        let (window, bucket) = try Self.window(request)
        return try Responses.json(try await monitor.throughput.report(window: window, bucket: bucket))
    }

    static func window(_ request: Request) throws -> (Int, Int) {
        func number(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
            guard let text = request.query(name) else { return value }
            guard let parsed = Int(text), range.contains(parsed) else {
                throw HTTPProblem(.badRequest, "\(name) must be a whole number of seconds from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
            }
            return parsed
        }
        let window = try number("window", default: 3600, range: 60...(7 * 86_400))
        let bucket = try number("bucket", default: 60, range: 10...86_400)
        guard window / bucket <= 2000 else { throw HTTPProblem(.badRequest, "window / bucket must be at most 2000 buckets") }
        return (window, bucket)
    }

    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? text
    }
}
