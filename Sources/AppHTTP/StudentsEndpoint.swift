import App
import Foundation
import Messenger
import MessengerConsole
import HTTPTypes
import Hummingbird
import MessengerHTTP

/// `POST /api/students`: records a student and queues the fetch of their enrollments in one
/// transaction (no student without its fetch, no fetch without its student).
struct StudentsEndpoint: Sendable {
    let pool: AppDatabasePool
    let kernel: MessengerKernel

    struct Body: Decodable {
        let studentNumber: String
        let email: String
        let name: String
    }

    struct Created: Encodable {
        let id: Int
        let studentNumber: String
        let email: String
        let name: String
        let createdAt: String
        let enrollmentFetch: DispatchAnswer
    }

    func create(_ request: inout APIRequest) async throws -> Response {
        let body = try await request.decode(Body.self)
        let number = body.studentNumber.trimmingCharacters(in: .whitespaces)
        let email = body.email.trimmingCharacters(in: .whitespaces)
        let name = body.name.trimmingCharacters(in: .whitespaces)
        guard (1...20).contains(number.count), number.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw HTTPProblem(.unprocessableContent, "student_number must be 1 to 20 letters or digits", fields: ["field": .string("student_number")])
        }
        // Lengths as the OpenAPI schema counts them (JSON Schema: code points, not grapheme clusters).
        guard email.unicodeScalars.count <= 254, Validation.isEmail(email) else {
            throw HTTPProblem(.unprocessableContent, "email must be an e-mail address", fields: ["field": .string("email")])
        }
        guard !name.isEmpty, name.unicodeScalars.count <= 200, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw HTTPProblem(.unprocessableContent, "name must be 1 to 200 characters without control characters", fields: ["field": .string("name")])
        }
        let createdAt = Date().formatted(.iso8601)
        let (kernel, links) = (kernel, request)
        let (id, fetch) = try await pool.withConnection { database in
            try await database.transaction {
                switch try await StudentRecords.record(number: number, email: email, name: name, at: createdAt, in: database) {
                case .exists(let id):
                    throw HTTPProblem(.conflict, "student \(number) exists already", fields: ["id": .number(Double(id))])
                case .created(let id):
                    return (id, try await DispatchAnswer.dispatch(FetchApogeeEnrollment(studentNumber: number), on: kernel.bus, links))
                }
            }
        }
        return try APIResponse.json(Created(id: id, studentNumber: number, email: email, name: name, createdAt: createdAt,
                                            enrollmentFetch: fetch), status: .created)
    }
}

/// Checks on what clients send.
enum Validation {
    /// One `@` between a non-empty local part and a domain with a dot; no spaces or control characters.
    static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix(".") else { return false }
        return !text.unicodeScalars.contains { $0.properties.isWhitespace || $0.properties.generalCategory == .control }
    }
}
