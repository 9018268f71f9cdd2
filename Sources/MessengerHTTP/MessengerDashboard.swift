import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Messenger
import MessengerConsole

/// The HTTP API and web dashboard of a messenger application, to mount in any Hummingbird 2
/// application: `MessengerDashboard(kernel:).addRoutes(to: router)`. Every route but `/healthz`
/// needs credentials (`OperatorAccess`): viewers read, admins act. The application's own endpoints
/// (`ApplicationAPI`) are served beside them, behind the same credentials.
public struct MessengerDashboard: Sendable {
    let monitor: MessengerMonitor
    let messages: MessagesAPI
    let operations: OperationsAPI
    let health: HealthAPI
    let pages: DashboardPages
    let gate: RequestGate
    let options: DashboardOptions
    let logger: Logger
    /// The application APIs' routes.
    let applicationRoutes: [APIRoute]
    /// `/api/openapi.yaml`: the messenger's document with the application APIs' paths.
    let openAPI: [UInt8]

    /// The API and dashboard over `kernel`'s transports, behind `access`, with `applicationAPIs` served beside; an error when an application's OpenAPI text cannot be merged.
    public init(
        kernel: MessengerKernel, access: OperatorAccess, options: DashboardOptions = DashboardOptions(), applicationAPIs: [any ApplicationAPI] = [],
        logger: Logger? = nil
    ) throws {
        self.options = options
        applicationRoutes = try applicationAPIs.flatMap { try $0.routes(kernel: kernel) }
        openAPI = applicationAPIs.isEmpty ? PackageResources.openapi_yaml
            : Array(try OpenAPIDocument.merged(String(decoding: PackageResources.openapi_yaml, as: UTF8.self), with: applicationAPIs.map(\.openAPI)).utf8)
        self.logger = logger ?? kernel.logger
        monitor = MessengerMonitor(kernel: kernel, statisticsMaxAge: options.statisticsMaxAge)
        messages = MessagesAPI(monitor: monitor, options: options)
        operations = OperationsAPI(monitor: monitor, options: options)
        health = HealthAPI(monitor: monitor)
        gate = RequestGate(access: access, options: options)
        pages = DashboardPages(monitor: monitor, operations: operations, renderer: try PageRenderer(), gate: gate, options: options)
    }

    /// The kind of answer a route gives when it fails: JSON for the API, a page (or a redirect to
    /// the login form) for the dashboard.
    enum Kind { case api, page }

    /// Adds every route under `options.basePath` (the router's own prefix, if any, comes first).
    public func addRoutes<Router: RouterMethods>(to router: Router) {
        let base = options.basePath
        // Every path's methods, for the 405 answers to the others.
        var allowed: [String: (kind: Kind, methods: [HTTPRequest.Method])] = [:]
        func route(
            _ method: HTTPRequest.Method, _ path: String, kind: Kind, role: OperatorRole?, prefixed: Bool = true,
            _ handler: @escaping @Sendable (inout Request, RouteInput) async throws -> Response
        ) {
            let full = prefixed ? options.basePath + path : path
            allowed[full, default: (kind, [])].methods.append(method)
            add(router, method, full, kind: kind, role: role, handler)
        }
        // Public: the process is up, and the assets the login page needs.
        route(.get, "/healthz", kind: .api, role: nil) { _, _ in try health.health() }
        route(.get, "/assets/dashboard.css", kind: .api, role: nil) { _, _ in Responses.bytes(PackageResources.dashboard_css, contentType: "text/css; charset=utf-8") }
        route(.get, "/assets/dashboard.js", kind: .api, role: nil) { _, _ in Responses.bytes(PackageResources.dashboard_js, contentType: "text/javascript; charset=utf-8") }
        route(.get, "/login", kind: .page, role: nil) { request, _ in pages.loginForm(request) }
        route(.post, "/login", kind: .page, role: nil) { request, input in try await pages.login(&request, client: input.client) }
        route(.post, "/logout", kind: .page, role: nil) { request, _ in try await pages.logout(&request) }

        route(.get, "/readyz", kind: .api, role: .viewer) { _, _ in try await health.ready() }
        route(.get, "/metrics", kind: .api, role: .viewer) { _, _ in try await health.metrics(queues: try await operations.queueViews(shared: true)) }
        route(.get, "/api/openapi.yaml", kind: .api, role: .viewer) { _, _ in
            Responses.bytes(openAPI, contentType: "application/yaml; charset=utf-8")
        }
        route(.post, "/api/messages", kind: .api, role: .admin) { request, _ in try await messages.dispatch(&request) }
        route(.get, "/api/messages", kind: .api, role: .viewer) { request, _ in try await messages.list(request) }
        route(.delete, "/api/messages", kind: .api, role: .admin) { request, _ in try await messages.delete(request) }
        route(.post, "/api/messages/retry", kind: .api, role: .admin) { request, _ in try await messages.retryAll(&request) }
        route(.post, "/api/messages/cancel", kind: .api, role: .admin) { request, _ in try await messages.cancelAll(&request) }
        route(.get, "/api/messages/:id", kind: .api, role: .viewer) { _, input in try await messages.show(try input.parameter("id")) }
        route(.post, "/api/messages/:id/cancel", kind: .api, role: .admin) { _, input in try await messages.cancel(try input.parameter("id")) }
        route(.post, "/api/messages/:id/retry", kind: .api, role: .admin) { _, input in try await messages.retry(try input.parameter("id")) }
        route(.get, "/api/queues", kind: .api, role: .viewer) { _, _ in try await operations.queues() }
        route(.post, "/api/queues/:name/pause", kind: .api, role: .admin) { _, input in try await operations.setPaused(try input.parameter("name"), true) }
        route(.post, "/api/queues/:name/resume", kind: .api, role: .admin) { _, input in try await operations.setPaused(try input.parameter("name"), false) }
        route(.get, "/api/schedules", kind: .api, role: .viewer) { _, _ in try await operations.schedules() }
        route(.post, "/api/schedules/:schedule/:task/run", kind: .api, role: .admin) { _, input in
            try await operations.run(schedule: try input.parameter("schedule"), task: try input.parameter("task"))
        }
        route(.get, "/api/workers", kind: .api, role: .viewer) { _, _ in try await operations.workers() }
        route(.get, "/api/stats/throughput", kind: .api, role: .viewer) { request, _ in try await operations.throughput(request) }
        for application in applicationRoutes {
            route(application.method, application.path, kind: .api, role: application.role) { request, input in
                var api = APIRequest(request, input: input, basePath: base)
                return try await application.handler(&api)
            }
        }

        route(.get, base.isEmpty ? "/" : base, kind: .page, role: .viewer, prefixed: false) { _, input in try await pages.overview(user: input.user!) }
        route(.get, "/queues", kind: .page, role: .viewer) { _, input in try await pages.queues(user: input.user!) }
        route(.get, "/messages", kind: .page, role: .viewer) { request, input in try await pages.messages(request, user: input.user!) }
        route(.get, "/messages/:id", kind: .page, role: .viewer) { _, input in try await pages.message(try input.parameter("id"), user: input.user!) }
        route(.get, "/schedules", kind: .page, role: .viewer) { _, input in try await pages.schedules(user: input.user!) }
        route(.get, "/workers", kind: .page, role: .viewer) { _, input in try await pages.workers(user: input.user!) }
        for (path, served) in allowed { refuseOtherMethods(router, path: path, kind: served.kind, allowed: served.methods) }
    }

    /// The QUERY method (the HTTP working group's safe request with a body), refused like the others.
    static let query = HTTPRequest.Method("QUERY")!

    /// Answers 405 with `Allow` to the methods a path does not serve (HEAD is left to the router
    /// where GET is served: `Router(options: .autoGenerateHeadEndpoints)` answers it).
    private func refuseOtherMethods<Router: RouterMethods>(_ router: Router, path: String, kind: Kind, allowed: [HTTPRequest.Method]) {
        let served = allowed.contains(.get) ? allowed + [.head] : allowed
        let allow = served.map(\.rawValue).joined(separator: ", ")
        for method in [HTTPRequest.Method.get, .head, .post, .put, .patch, .delete, .options, .trace, Self.query] where !served.contains(method) {
            router.on(RouterPath(path), method: method) { (request: Request, _: Router.Context) async throws -> Response in
                respond(HTTPProblem(.methodNotAllowed, "\(path) does not answer \(method.rawValue); it answers \(allow)", headers: [.allow: allow]), to: request, kind: kind)
            }
        }
    }

    /// One route: credentials checked for `role` (none when nil), path parameters read, every
    /// failure turned into the right status with a message naming the culprit.
    private func add<Router: RouterMethods>(
        _ router: Router, _ method: HTTPRequest.Method, _ full: String, kind: Kind, role: OperatorRole?,
        _ handler: @escaping @Sendable (inout Request, RouteInput) async throws -> Response
    ) {
        let names = full.split(separator: "/").filter { $0.hasPrefix(":") }.map { String($0.dropFirst()) }
        router.on(RouterPath(full), method: method) { (request: Request, context: Router.Context) async throws -> Response in
            var request = request
            do {
                var user: Operator?
                let client = (context as? any RemoteAddressRequestContext)?.remoteAddress?.ipAddress
                if let role { user = try await gate.authorize(request, needed: role, client: client) }
                var parameters: [String: String] = [:]
                for name in names { parameters[name] = context.parameters.get(name).map { $0.removingPercentEncoding ?? $0 } }
                return try await handler(&request, RouteInput(parameters: parameters, user: user, client: client))
            } catch let problem as HTTPProblem {
                return respond(problem, to: request, kind: kind)
            } catch let error as HTTPError {
                return respond(HTTPProblem(error.status, error.body ?? "\(error.status.reasonPhrase)"), to: request, kind: kind)
            } catch {
                logger.error("HTTP \(method.rawValue) \(request.uri.path) failed: \(error)")
                return respond(HTTPProblem(.internalServerError, "the server failed to answer: \(error)"), to: request, kind: kind)
            }
        }
    }

    private func respond(_ problem: HTTPProblem, to request: Request, kind: Kind) -> Response {
        guard kind == .page else { return Responses.problem(problem) }
        if problem.status == .unauthorized {
            let next = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            let target = "\(options.basePath)/login?next=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
            return Responses.redirect(to: target)
        }
        return pages.render("error", title: problem.status.reasonPhrase, ["heading": problem.status.reasonPhrase, "message": problem.message],
                            user: nil, status: problem.status)
    }
}
