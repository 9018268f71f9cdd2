import HTTPTypes
import Hummingbird
import MessengerConsole

/// An application's own HTTP endpoints, served by `app serve` beside the messenger's API and
/// dashboard, behind the same credentials (users, sessions, API tokens), answering errors the same
/// way (`{"error": …}` with the right 4xx) and documented in the same OpenAPI document.
///
/// Register it with `MessengerHTTPCommands.serve(_:)`, or pass it to `MessengerDashboard`.
public protocol ApplicationAPI: Sendable {
    /// The routes, built once when the server starts, with the application's booted kernel.
    func routes(kernel: MessengerKernel) throws -> [APIRoute]

    /// OpenAPI 3.1 YAML with the routes' `paths` and their `components.schemas`, merged into
    /// `/api/openapi.yaml`.
    var openAPI: String { get }
}

/// One endpoint of an application: its method, its path under the dashboard's base path (`:name`
/// for a parameter), the role it needs, and what it answers.
public struct APIRoute: Sendable {
    /// The HTTP method.
    public let method: HTTPRequest.Method
    /// The path under the base path (`/api/students/:id`).
    public let path: String
    /// The least role that may call it.
    public let role: OperatorRole
    /// What answers it; an ``HTTPProblem`` it throws is answered with its status.
    public let handler: @Sendable (inout APIRequest) async throws -> Response

    /// The endpoint `method` `path`, for `role` and up, answered by `handler`.
    public init(_ method: HTTPRequest.Method, _ path: String, role: OperatorRole, _ handler: @escaping @Sendable (inout APIRequest) async throws -> Response) {
        self.method = method
        self.path = path
        self.role = role
        self.handler = handler
    }
}
