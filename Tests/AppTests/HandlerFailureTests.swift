@testable import App
import Foundation
import Messenger
import MessengerTestSupport
import Testing

/// Every database handler's two kinds of failure: a database that cannot be reached now (retried by
/// the strategy) and input no retry can fix (unrecoverable, parked with the reason).
@Suite("The application's handlers when they fail")
struct HandlerFailureTests {
    /// A bus whose database is a PostgreSQL server that is not there (a closed port on loopback).
    static func unreachable() throws -> (MessageBus, TemporaryDirectory) {
        let directory = try TemporaryDirectory("unreachable")
        try directory.write(".env", "DATABASE_URL=postgresql://app:secret@127.0.0.1:9/app?connect_timeout=2\nAPOGEE_URL=http://127.0.0.1:9\n")
        let environment = AppEnvironment(projectDirectory: directory.path)
        var registry = MessageRegistry()
        AppMessages.register(into: &registry, mailer: NullMailerForTests(), mailFrom: "x@univ.example", database: SharedAppDatabase(environment: environment), environment: environment)
        return (MessageBus(registry: registry, senders: SendersLocator(routing: [:], senders: [:])), directory)
    }

    static let jobs: [any Message] = [
        RecomputeRoles(on: "2026-11-23"), ArchiveObsoleteRequests(on: "2026-11-23"), PurgeOrphanFiles(), SendReminders(on: "2026-11-23"),
        RefreshAllEnrollments(), FetchApogeeEnrollment(studentNumber: "21000100"),
    ]

    @Test("an unreachable database: every handler fails in a way the retry strategy retries, and names the server without its password")
    func transient() async throws {
        let (bus, directory) = try Self.unreachable()
        for job in Self.jobs {
            let failure = await #expect(throws: HandlerFailedError.self) { try await bus.dispatch(Envelope(job)) }
            #expect(failure?.isUnrecoverable == false, "\(type(of: job).messageName): \(failure?.description ?? "")")
            #expect(failure?.description.contains("127.0.0.1:9") == true, "\(failure?.description ?? "")")
            #expect(failure?.description.contains("secret") == false)
        }
        directory.remove()
    }

    @Test("a day that is not a day, a negative grace: unrecoverable, named")
    func permanent() async throws {
        let (bus, directory) = try Self.unreachable()
        let invalid: [any Message] = [RecomputeRoles(on: "yesterday"), ArchiveObsoleteRequests(on: "2026-02-30"), SendReminders(on: "23/11/2026"), PurgeOrphanFiles(graceSeconds: -1)]
        for job in invalid {
            let failure = await #expect(throws: HandlerFailedError.self) { try await bus.dispatch(Envelope(job)) }
            #expect(failure?.isUnrecoverable == true, "\(type(of: job).messageName): \(failure?.description ?? "")")
        }
        directory.remove()
    }
}
