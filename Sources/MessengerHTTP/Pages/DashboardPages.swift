import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Messenger
import MessengerConsole

/// The dashboard's HTML pages: overview, queues, messages, a message, schedules, workers, and the
/// login form. Actions go through the JSON API from the page's script.
struct DashboardPages: Sendable {
    let monitor: MessengerMonitor
    let operations: OperationsAPI
    let renderer: PageRenderer
    let gate: RequestGate
    let options: DashboardOptions
    /// The overview's main part, shared by every viewer (at most a second old, as its figures).
    let overviewContent = SharedFigures<String>(maxAge: 1, staleFor: 10)

    func render(_ template: String, title: String, _ context: [String: Any], user: Operator?, current: String? = nil,
                status: HTTPResponse.Status = .ok) -> Response {
        var context = context
        context["admin"] = user?.role == .admin
        return Responses.html(renderer.page(template, title: title, context: context, user: user, options: options, current: current), status: status)
    }

    // MARK: Login

    /// Only a path of this dashboard is a place to go back to after logging in.
    func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix(options.basePath + "/"), !next.hasPrefix("//"), !next.contains("\\"), !next.contains("://") else {
            return options.basePath + "/"
        }
        return next
    }

    func loginForm(_ request: Request) -> Response {
        render("login", title: "Log in", ["next": safeNext(request.query("next"))], user: nil)
    }

    func login(_ request: inout Request, client: String?) async throws -> Response {
        try gate.checkSameSite(request)
        let form = try await request.form()
        let (name, password, next) = (form["name"] ?? "", form["password"] ?? "", safeNext(form["next"]))
        switch try await gate.access.verifyPassword(name: name, password: password, client: client) {
        case .success(let user):
            let (cookie, _) = try await gate.access.openSession(for: user)
            let secure = request.headers[HTTPField.Name("X-Forwarded-Proto")!] == "https"
            gate.access.logger?.notice("Dashboard login", metadata: ["user": "\(user.name)"])
            return Responses.redirect(to: next, headers: [.setCookie: gate.sessionCookie(cookie, secure: secure)])
        case .failure(.invalid):
            return render("login", title: "Log in", ["next": next, "name": name, "error": "Invalid user name or password."], user: nil, status: .unauthorized)
        case .failure(.throttled(let wait)):
            return render("login", title: "Log in", ["next": next, "name": name, "error": "Too many failed logins for this user from this address: try again in \(wait) s."],
                          user: nil, status: .forbidden)
        }
    }

    func logout(_ request: inout Request) async throws -> Response {
        try gate.checkSameSite(request)
        let form = try await request.form()
        if let cookie = request.cookies[RequestGate.sessionCookie]?.value, let user = try await gate.access.verifySession(cookie) {
            guard SecretDigest.constantTimeEqual(form["_csrf"] ?? "", user.csrfToken ?? "") else {
                throw HTTPProblem(.forbidden, "the CSRF token is missing or wrong; reload the page")
            }
            try await gate.access.closeSession(cookie)
        }
        return Responses.redirect(to: options.basePath + "/login", headers: [.setCookie: gate.sessionCookie("", secure: false)])
    }

    // MARK: Pages

    func queueRows(_ queues: [OperationsAPI.QueueView]) -> [[String: Any]] {
        queues.map { queue in
            let name = OperationsAPI.segment(queue.queue ?? queue.transport)
            return [
                "transport": queue.transport, "queue": queue.queue ?? "—", "total": Self.count(queue.counts?.total, queue.estimated),
                "ready": Self.count(queue.counts?.ready, queue.estimated), "delayed": Self.count(queue.counts?.delayed, queue.estimated),
                "inFlight": queue.counts.map { "\($0.inFlight)" } ?? "—", "oldest": Display.age(queue.oldestWaitingSeconds),
                "heldBack": queue.heldBack?.summary ?? "—",
                "paused": queue.paused, "pausable": queue.queue != nil, "state": queue.error ?? "active",
                "pauseUrl": "\(options.basePath)/api/queues/\(name)/pause", "resumeUrl": "\(options.basePath)/api/queues/\(name)/resume",
            ]
        }
    }

    static func count(_ value: Int?, _ estimated: Bool) -> String { value.map { (estimated ? "~" : "") + "\($0)" } ?? "—" }

    /// The overview is the same for every viewer: its main part is rendered once a second for all
    /// (the charts alone cost milliseconds), inside each viewer's layout.
    func overview(user: Operator) async throws -> Response {
        let content = try await overviewContent.value("overview") { [self] in try await overviewMain() }
        return Responses.html(renderer.page(content: content, title: "Overview", user: user, options: options, current: "overview"))
    }

    private func overviewMain() async throws -> String {
        let queues = try await operations.queueViews(shared: true)
        let hour = try await monitor.throughput(window: 3600, bucket: 60)
        let day = try await monitor.throughput(window: 86_400, bucket: 3600)
        let workers = try await monitor.workerRecords(shared: true)
        func percentiles(_ value: ThroughputReport.Percentiles) -> [String: String] {
            ["p50": Display.duration(value.p50), "p95": Display.duration(value.p95)]
        }
        let context: [String: Any] = [
            "waiting": queues.reduce(0) { $0 + ($1.counts?.ready ?? 0) }, "running": queues.reduce(0) { $0 + ($1.counts?.inFlight ?? 0) },
            "liveWorkers": workers.filter { $0.state() == "running" }.count, "queues": queueRows(queues),
            "hour": ["completed": hour.completed, "failed": hour.failed, "chart": BarChart(report: hour, label: "Attempts finished per minute over the last hour").context],
            "day": ["completed": day.completed, "failed": day.failed, "chart": BarChart(report: day, label: "Attempts finished per hour over the last day").context],
            "wait": percentiles(hour.waitSeconds), "run": percentiles(hour.runSeconds),
        ]
        return renderer.content("overview", context: context, options: options)
    }

    func queues(user: Operator) async throws -> Response {
        render("queues", title: "Queues", ["queues": queueRows(try await operations.queueViews(shared: true))], user: user, current: "queues")
    }

    func messages(_ request: Request, user: Operator) async throws -> Response {
        let (query, filter) = try MessagesAPI.query(from: request)
        let (records, next) = try await monitor.page(query)
        func link(cursor: MessageRecordCursor?) -> String { MessagesAPI.listingURL(options.basePath + "/messages", request, cursor: cursor) }
        var deleteQuery = URLComponents()
        deleteQuery.path = options.basePath + "/api/messages"
        deleteQuery.queryItems = filter.bulkTarget.queryItems
        let context: [String: Any] = [
            "filter": ["type": filter.type ?? "", "queue": filter.queue ?? "", "q": filter.q ?? ""],
            "statuses": MessageStatus.allCases.map { ["value": $0.rawValue, "selected": $0.rawValue == filter.status] },
            "limits": [25, 50, 100, 200].map { ["value": $0, "selected": $0 == query.limit] },
            "types": kernel.registry.types.keys.sorted(),
            "messages": records.map { record -> [String: Any] in
                [
                    "id": record.id, "shortId": String(record.id.suffix(12)), "href": "\(options.basePath)/messages/\(OperationsAPI.segment(record.id))",
                    "type": record.type, "queue": record.queue, "status": record.status.rawValue, "attempts": record.attempts,
                    "created": Display.time(record.createdAt), "finished": Display.time(record.finishedAt),
                    "progress": record.status == .running ? Self.opt(record.progress.map { Display.percent($0) }) : false,
                ]
            },
            "matching": records.count < query.limit && query.after == nil ? "\(records.count)" : "the",
            "bulkFilter": String(decoding: (try? Responses.encoder.encode(filter.bulkTarget)) ?? Data("{}".utf8), as: UTF8.self),
            "deleteUrl": deleteQuery.string ?? deleteQuery.path,
            "nextUrl": Self.opt(next.map { link(cursor: $0) }), "firstUrl": query.after == nil ? false : link(cursor: nil),
        ]
        return render("messages", title: "Messages", context, user: user, current: "messages")
    }

    var kernel: MessengerKernel { monitor.kernel }

    func message(_ id: String, user: Operator) async throws -> Response {
        guard let (record, _) = try await monitor.record(id: id) else {
            return render("error", title: "Not found", ["heading": "Not found", "message": "No message with id \(id): it may have been pruned."],
                          user: user, current: "messages", status: .notFound)
        }
        var timeline: [[String: String]] = [["when": Display.time(record.createdAt), "what": "dispatched"]]
        if record.availableAt > record.createdAt.addingTimeInterval(0.001) { timeline.append(["when": Display.time(record.availableAt), "what": "due"]) }
        if let started = record.startedAt { timeline.append(["when": Display.time(started), "what": "attempt \(record.attempts) started"]) }
        if let finished = record.finishedAt { timeline.append(["when": Display.time(finished), "what": record.status.rawValue]) }
        let stamps = await monitor.envelope(of: record).map { envelope in envelope.stamps.map { "\(type(of: $0)): \(String(describing: $0))" } } ?? []
        var context: [String: Any] = [
            "record": [
                "id": record.id, "status": record.status.rawValue, "type": record.type, "transport": record.transport, "queue": record.queue,
                "attempts": record.attempts, "workerId": Self.opt(record.workerId), "origin": Self.opt(record.origin), "cancelRequested": record.cancelRequested,
            ],
            "timeline": timeline, "body": Self.pretty(record.body ?? ""), "stamps": stamps,
            "cancellable": !record.status.isFinished && !record.cancelRequested, "retryable": record.status == .failed && record.rowId != nil,
        ]
        if record.status == .running || record.progress != nil {
            context["progress"] = ["percent": Display.percent(record.progress ?? 0), "note": Self.opt(record.progressNote)]
        }
        if record.errorType != nil || record.errorMessage != nil {
            // A message retried since keeps its last failure: shown as such, not as its state.
            context["error"] = ["type": record.errorType ?? "error", "message": record.errorMessage ?? "", "handler": Self.opt(record.errorHandler),
                                "heading": record.status == .failed ? "Error" : "Last failure (before a retry)"]
        }
        if let result = record.result { context["result"] = Self.pretty(result) }
        if let waiting = record.waitingOn { context["waitingOn"] = waiting }
        return render("message", title: "Message \(record.id.suffix(12))", context, user: user, current: "messages")
    }

    /// A value for a template, or `false` (an empty section) when there is none.
    static func opt(_ value: (some Any)?) -> Any { value.map { $0 as Any } ?? false }

    /// JSON indented for reading; other text as it is.
    static func pretty(_ text: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed]) else {
            return text
        }
        return String(decoding: data, as: UTF8.self)
    }

    func schedules(user: Operator) async throws -> Response {
        let rows = try await operations.scheduleViews().map { view -> [String: Any] in
            [
                "schedule": view.schedule, "name": view.name, "trigger": view.trigger, "messageType": view.messageType, "message": view.message,
                "nextRuns": view.nextRuns.map { Display.time($0, in: view.timeZone) },
                "lastRun": view.lastRun.map { Display.time($0, in: view.timeZone) } ?? "never", "enabled": view.enabled ? "yes" : "no", "runUrl": view.runUrl,
            ]
        }
        return render("schedules", title: "Schedules", ["schedules": rows], user: user, current: "schedules")
    }

    func workers(user: Operator) async throws -> Response {
        let now = Date()
        let rows = try await monitor.workers(shared: true).map { view -> [String: Any] in
            [
                "host": view.worker.host, "pid": view.worker.pid, "receivers": view.worker.receivers.joined(separator: ", "), "state": view.state,
                "handled": view.worker.handled, "failed": view.worker.failed, "started": Display.time(view.worker.startedAt),
                "heartbeat": Display.age(now.timeIntervalSince(view.worker.heartbeatAt)),
                "running": view.running.map { running -> [String: Any] in
                    ["type": running.type, "href": "\(options.basePath)/messages/\(OperationsAPI.segment(running.id))",
                     "progress": Self.opt(running.progress.map { Display.percent($0) })]
                },
            ]
        }
        return render("workers", title: "Workers", ["workers": rows], user: user, current: "workers")
    }
}
