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
            if case .exists = try await StudentRecords.record(number: number, email: email, name: name, at: Date().formatted(.iso8601), in: database) {
                throw AppError("student \(number) exists already")
            }
            return try await kernel.bus.dispatch(FetchApogeeEnrollment(studentNumber: number))
        }
        await kernel.close()
        await database.close()
        let where_ = sent.all(SentStamp.self).map(\.transportName).joined(separator: ", ")
        print("[OK] Student \(number) recorded; enrollment fetch \(sent.wasDeduplicated ? "already queued" : "queued on \(where_.isEmpty ? "this process" : where_)").")
    }
}
