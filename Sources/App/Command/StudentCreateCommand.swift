import ArgumentParser
import Foundation
import Logging
import Messenger
import MessengerConsole

/// `student:create NUMBER EMAIL NAME`: records a student and queues the fetch of their enrollments, in
/// one transaction when the queue lives in the application's database (no student without its fetch,
/// no fetch without its student).
struct StudentCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "student:create", abstract: "Record a student and fetch their enrollments from Apogee.")

    @Argument(help: "The student number.") var number: String
    @Argument(help: "The student's e-mail address.") var email: String
    @Argument(help: "The student's name.") var name: String

    func run() async throws {
        let database = try AppEnvironment().openDatabase()
        _ = try await AppMigrator.migrate(database)
        let kernel = try MessengerKernel.booted(logger: Logger(label: "app.students"))
        let (number, email, name) = (number, email, name)
        let sent = try await database.transaction {
            guard try await database.query("SELECT 1 FROM students WHERE student_number = $1", [number]).isEmpty else {
                throw AppError("student \(number) exists already")
            }
            try await database.query("INSERT INTO students (student_number, email, name, created_at) VALUES ($1, $2, $3, $4)",
                                     [number, email, name, Date().formatted(.iso8601)])
            return try await kernel.bus.dispatch(FetchApogeeEnrollment(studentNumber: number))
        }
        await kernel.close()
        await database.close()
        let where_ = sent.all(SentStamp.self).map(\.transportName).joined(separator: ", ")
        print("[OK] Student \(number) recorded; enrollment fetch \(sent.wasDeduplicated ? "already queued" : "queued on \(where_.isEmpty ? "this process" : where_)").")
    }
}
