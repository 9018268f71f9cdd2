import App
import MessengerConsole
import HTTPTypes
import Hummingbird
import MessengerHTTP

/// The student-support application's endpoints, served by `app serve` beside the messenger's API
/// and dashboard: students, the enrollment refresh, generated documents and technical errors.
/// Writes need the `admin` role (the web front's API token), reads `viewer`.
public struct StudentSupportAPI: ApplicationAPI {
    let environment: AppEnvironment

    public init(environment: AppEnvironment) { self.environment = environment }

    public func routes(kernel: MessengerKernel) throws -> [APIRoute] {
        let pool = AppDatabasePool(environment: environment)
        let students = StudentsEndpoint(pool: pool, kernel: kernel)
        let refresh = EnrollmentRefreshEndpoint(kernel: kernel)
        let documents = DocumentsEndpoint(pool: pool, kernel: kernel, environment: environment)
        let errors = ErrorsEndpoint(kernel: kernel)
        return [
            APIRoute(.post, "/api/students", role: .admin) { try await students.create(&$0) },
            APIRoute(.post, "/api/enrollments/refresh", role: .admin) { try await refresh.start($0) },
            APIRoute(.post, "/api/documents", role: .admin) { try await documents.request(&$0) },
            APIRoute(.get, "/api/documents/:id", role: .viewer) { try await documents.show($0) },
            APIRoute(.post, "/api/errors", role: .admin) { try await errors.report(&$0) },
        ]
    }

    public var openAPI: String { String(decoding: PackageResources.openapi_yaml, as: UTF8.self) }
}
