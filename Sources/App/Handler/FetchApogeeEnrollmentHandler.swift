import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Messenger

/// GETs `APOGEE_URL/students/NUMBER/enrollments` and stores what it returns. A 5xx, a timeout or a
/// lost connection follows the retry strategy; a 404, an unknown student or a body that is not the
/// expected JSON is unrecoverable (parked with the reason).
struct FetchApogeeEnrollmentHandler: MessageHandler {
    let database: SharedAppDatabase
    let environment: AppEnvironment

    /// One enrollment as Apogee returns it.
    struct Enrollment: Decodable, Sendable {
        let academicYear: String
        let program: String
        let stage: String
    }

    /// Returns how many enrollments were stored.
    func handle(_ message: FetchApogeeEnrollment, context: HandlerContext) async throws -> Int {
        guard let base = try environment.setting("APOGEE_URL"), let root = URL(string: base) else {
            throw UnrecoverableMessageError("APOGEE_URL is not set (e.g. https://apogee.univ.example/api)")
        }
        let number = message.studentNumber
        guard let student = try await database.withConnection({ database in
            try await database.query("SELECT id FROM students WHERE student_number = $1", [number]).first?[0]
        }) else {
            throw UnrecoverableMessageError("no student \(number) in the application's database")
        }
        let url = root.appendingPathComponent("students").appendingPathComponent(number).appendingPathComponent("enrollments")
        var request = URLRequest(url: url)
        request.timeoutInterval = Double(try environment.setting("APOGEE_TIMEOUT").flatMap(Int.init) ?? 10)
        let (body, response): (Data, URLResponse)
        do {
            (body, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw ApogeeUnavailableError("GET \(url.absoluteString): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        switch status {
        case 200: break
        case 404: throw UnrecoverableMessageError("Apogee does not know student \(number) (GET \(url.absoluteString): 404)")
        case 500...599: throw ApogeeUnavailableError("GET \(url.absoluteString): \(status)")
        default: throw UnrecoverableMessageError("GET \(url.absoluteString): unexpected status \(status)")
        }
        let enrollments: [Enrollment]
        do {
            enrollments = try JSONDecoder().decode([Enrollment].self, from: body)
        } catch {
            throw UnrecoverableMessageError("Apogee's answer for student \(number) is not a list of enrollments: \(JSONSerializer.describe(error)); body starts: \(String(decoding: body.prefix(120), as: UTF8.self))")
        }
        let fetchedAt = Date().formatted(.iso8601)
        try await database.withConnection { database in try await database.transaction {
            for enrollment in enrollments {
                try await database.query("""
                    INSERT INTO enrollments (student_id, academic_year, program, stage, fetched_at) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (student_id, academic_year, program) DO UPDATE SET stage = excluded.stage, fetched_at = excluded.fetched_at
                    """, [student, enrollment.academicYear, enrollment.program, enrollment.stage, fetchedAt])
            }
        } }
        context.logger.notice("Enrollments fetched", metadata: ["student": "\(number)", "enrollments": "\(enrollments.count)"])
        return enrollments.count
    }
}

/// Apogee could not answer now (a 5xx, a timeout, no connection): worth retrying later.
struct ApogeeUnavailableError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Dispatches one `FetchApogeeEnrollment` per student; a student whose fetch is still waiting is not
/// queued twice (deduplication), so overlapping refreshes cost nothing.
struct RefreshAllEnrollmentsHandler: MessageHandler {
    let database: SharedAppDatabase

    /// Returns how many fetches were queued (not counting those already waiting).
    func handle(_ message: RefreshAllEnrollments, context: HandlerContext) async throws -> Int {
        let numbers = try await database.withConnection { database in
            try await database.query("SELECT student_number FROM students ORDER BY id").compactMap { $0[0] }
        }
        var queued = 0
        for (index, number) in numbers.enumerated() {
            if !(try await context.bus.dispatch(FetchApogeeEnrollment(studentNumber: number))).wasDeduplicated { queued += 1 }
            context.progress(Double(index + 1) / Double(numbers.count), "\(index + 1) of \(numbers.count) students")
        }
        context.logger.notice("Enrollment refresh queued", metadata: ["students": "\(numbers.count)", "queued": "\(queued)"])
        return queued
    }
}
