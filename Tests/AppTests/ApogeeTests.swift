@testable import App
import Foundation
import Messenger
import MessengerTestSupport
import Testing

/// FetchApogeeEnrollment against a stand-in of the student information system on loopback, and the
/// weekly fan-out, on both databases.
@Suite("Apogee enrollments", .timeLimit(.minutes(2)))
struct ApogeeTests {
    typealias Kind = AppDatabaseTests.Kind

    /// Adds a student with that number; returns a bus with the application's handlers and its
    /// `FetchApogeeEnrollment` messages routed to `queue` when given (handled at once otherwise).
    static func setUp(_ fixture: AppDatabaseTests.Fixture, server: TestApogeeServer, students: [String], queue: InMemoryTransport? = nil) async throws -> MessageBus {
        try fixture.directory.write(".env.local", "APOGEE_URL=\(server.url)\nAPOGEE_TIMEOUT=1\n")
        for number in students {
            try await fixture.database.query("INSERT INTO students (student_number, email, name, created_at) VALUES ($1, $2, $3, '2026-11-23')",
                                             [number, "\(number)@etu.univ.example", "Student \(number)"])
        }
        var registry = MessageRegistry()
        AppMessages.register(into: &registry, mailer: NullMailerForTests(), mailFrom: "x@univ.example", database: fixture.shared,
                             environment: AppEnvironment(projectDirectory: fixture.directory.path))
        let routing = queue == nil ? [:] : ["App.FetchApogeeEnrollment": ["apogee"]]
        return MessageBus(registry: registry, senders: SendersLocator(routing: routing, senders: queue.map { ["apogee": $0] } ?? [:]))
    }

    static func failure(_ bus: MessageBus, _ number: String) async -> HandlerFailedError? {
        await #expect(throws: HandlerFailedError.self) { try await bus.dispatch(FetchApogeeEnrollment(studentNumber: number)) }
    }

    @Test("enrollments are stored, and updated in place when fetched again", arguments: Kind.allCases)
    func fetch(kind: Kind) async throws {
        let (fixture, server) = (try await AppDatabaseTests.Fixture(kind), try await TestApogeeServer())
        try await AppMigrator.migrate(fixture.database)
        let bus = try await Self.setUp(fixture, server: server, students: ["21000123"])
        for _ in 1...2 { try await bus.dispatch(FetchApogeeEnrollment(studentNumber: "21000123")) }
        let rows = try await fixture.database.query("SELECT academic_year, program, stage FROM enrollments ORDER BY academic_year")
        #expect(rows == [["2025-2026", "Licence Informatique", "completed"], ["2026-2027", "Licence Informatique", "registered"]])
        #expect(server.requests("/students/21000123/enrollments") == 2)
        server.stop()
        try await fixture.remove()
    }

    @Test("a 5xx and a timeout are retried; a 404, a body that is not JSON and an unknown student are not", arguments: Kind.allCases)
    func failures(kind: Kind) async throws {
        let (fixture, server) = (try await AppDatabaseTests.Fixture(kind), try await TestApogeeServer())
        try await AppMigrator.migrate(fixture.database)
        let bus = try await Self.setUp(fixture, server: server, students: ["500001", "slow01", "404001", "bad001"])
        for number in ["500001", "slow01"] {
            let failure = await Self.failure(bus, number)
            #expect(failure?.isUnrecoverable == false, "\(number): \(failure?.description ?? "")")
        }
        let notFound = await Self.failure(bus, "404001")
        #expect(notFound?.isUnrecoverable == true)
        #expect(notFound?.description.contains("404") == true)
        let malformed = await Self.failure(bus, "bad001")
        #expect(malformed?.isUnrecoverable == true)
        #expect(malformed?.description.contains("not a list of enrollments") == true)
        #expect(malformed?.description.contains("<html>maintenance") == true)
        let unknown = await Self.failure(bus, "99999999")
        #expect(unknown?.isUnrecoverable == true)
        #expect(unknown?.description.contains("no student 99999999") == true)
        #expect(try await fixture.database.query("SELECT count(*) FROM enrollments")[0][0] == "0")
        server.stop()
        try await fixture.remove()
    }

    @Test("the weekly refresh queues one fetch per student; a second refresh while they wait queues none", arguments: Kind.allCases)
    func fanOut(kind: Kind) async throws {
        let (fixture, server) = (try await AppDatabaseTests.Fixture(kind), try await TestApogeeServer())
        try await AppMigrator.migrate(fixture.database)
        let queue = InMemoryTransport()
        let numbers = (1...25).map { String(21_000_000 + $0) }
        let bus = try await Self.setUp(fixture, server: server, students: numbers, queue: queue)
        #expect(try await bus.dispatch(RefreshAllEnrollments()).last(HandledStamp.self) != nil)
        #expect(try await bus.dispatch(RefreshAllEnrollments()).last(HandledStamp.self) != nil)
        let queued = try await queue.list(limit: 100).compactMap { ($0.message as? FetchApogeeEnrollment)?.studentNumber }
        #expect(queued.sorted() == numbers)
        // A student edited while their fetch waits: still one fetch.
        #expect(try await bus.dispatch(FetchApogeeEnrollment(studentNumber: numbers[0])).wasDeduplicated)
        server.stop()
        try await fixture.remove()
    }
}
