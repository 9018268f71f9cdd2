import App
import Messenger
import MessengerConsole
import HTTPTypes
import Hummingbird
import MessengerHTTP

/// `POST /api/errors`: the web front reports a technical error; it is queued as a
/// `ReportTechnicalError` (stored grouped by fingerprint, mailed as a digest).
struct ErrorsEndpoint: Sendable {
    let kernel: MessengerKernel

    struct Body: Decodable {
        let source: String
        let message: String
        let fingerprint: String?
    }

    struct Reported: Encodable {
        let id: String
        let status: String
        let statusUrl: String
        let fingerprint: String
    }

    func report(_ request: inout APIRequest) async throws -> Response {
        let body = try await request.decode(Body.self)
        // Lengths as the OpenAPI schema counts them (JSON Schema: code points, not grapheme clusters).
        guard (1...500).contains(body.source.unicodeScalars.count) else {
            throw HTTPProblem(.unprocessableContent, "source must be 1 to 500 characters", fields: ["field": .string("source")])
        }
        guard (1...10_000).contains(body.message.unicodeScalars.count) else {
            throw HTTPProblem(.unprocessableContent, "message must be 1 to 10000 characters", fields: ["field": .string("message")])
        }
        if let fingerprint = body.fingerprint, !(1...64).contains(fingerprint.count) || !fingerprint.allSatisfy({ $0.isASCII && !$0.isWhitespace }) {
            throw HTTPProblem(.unprocessableContent, "fingerprint must be 1 to 64 printable ASCII characters", fields: ["field": .string("fingerprint")])
        }
        let report = ReportTechnicalError(source: "web " + body.source, message: body.message, fingerprint: body.fingerprint)
        let answer = try await DispatchAnswer.dispatch(report, on: kernel.bus, request)
        return try APIResponse.json(Reported(id: answer.id, status: answer.status, statusUrl: answer.statusUrl, fingerprint: report.effectiveFingerprint),
                                    status: answer.status == "queued" ? .accepted : .ok)
    }
}
