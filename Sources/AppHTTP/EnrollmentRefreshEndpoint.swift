import App
import Messenger
import MessengerConsole
import HTTPTypes
import Hummingbird
import MessengerHTTP

/// `POST /api/enrollments/refresh`: queues the refresh of every student's enrollments; `409
/// already_running` (or `already_queued`) with the id of the refresh in progress.
struct EnrollmentRefreshEndpoint: Sendable {
    let kernel: MessengerKernel

    func start(_ request: APIRequest) async throws -> Response {
        let answer = try await DispatchAnswer.dispatch(RefreshAllEnrollments(), on: kernel.bus, request)
        guard !answer.isDuplicate else {
            throw HTTPProblem(.conflict, "an enrollment refresh is in progress (\(answer.status == "already_running" ? "running" : "queued")): \(answer.id)",
                              fields: ["id": .string(answer.id), "status": .string(answer.status), "status_url": .string(answer.statusUrl)])
        }
        return try APIResponse.json(answer, status: answer.status == "queued" ? .accepted : .ok)
    }
}
