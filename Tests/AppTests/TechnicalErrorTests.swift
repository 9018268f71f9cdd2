@testable import App
import Foundation
import Logging
import Mailer
import Messenger
import MessengerTestSupport
import Synchronization
import Testing

/// Technical errors: stored grouped by fingerprint, mailed to the technical contacts as a digest at
/// most once per fingerprint per interval, with counts; on both databases.
@Suite("Technical errors", .timeLimit(.minutes(2)))
struct TechnicalErrorTests {
    typealias Kind = AppDatabaseTests.Kind

    /// The application's technical-error handlers on `fixture`, on a clock the test moves; digests
    /// go through an in-memory queue on the same clock, mails to `mailer` at once.
    struct Subject {
        let bus: MessageBus
        let queue: InMemoryTransport
        let clock: TestClock

        init(_ fixture: AppDatabaseTests.Fixture, mailer: MailTemplateTests.RecordingMailer, more: (inout MessageRegistry) -> Void = { _ in }) throws {
            try fixture.directory.write(".env.local", "TECHNICAL_CONTACTS=ops@univ.example, dev@univ.example\n")
            let clock = TestClock(Date())
            let environment = AppEnvironment(projectDirectory: fixture.directory.path)
            var registry = MessageRegistry()
            registry.register(ReportTechnicalErrorHandler(database: fixture.shared, environment: environment, now: clock.closure))
            registry.register(SendTechnicalErrorDigestHandler(database: fixture.shared, environment: environment, now: clock.closure))
            registry.register(SendMailHandler(mailer: mailer, from: "support@univ.example", templates: MailTemplates(environment: environment)))
            registry.register(MessageParkedHandler())
            more(&registry)
            queue = InMemoryTransport(name: "async", now: clock.closure)
            bus = MessageBus(registry: registry, senders: SendersLocator(routing: [SendTechnicalErrorDigest.messageName: ["async"]], senders: ["async": queue]))
            self.clock = clock
        }

        /// A worker that handles the digests due now, then stops.
        func work() async {
            let worker = Worker(transports: [WorkerTransport(name: "async", transport: queue)], bus: bus, options: WorkerOptions(stopWhenEmpty: true),
                                logger: Logger(label: "test"))
            _ = await worker.run()
        }
    }

    @Test("1,000 reports of one fingerprint make one mail with the count; the next digest waits for the interval", arguments: Kind.allCases)
    func digest(kind: Kind) async throws {
        let fixture = try await AppDatabaseTests.Fixture(kind)
        _ = try await AppMigrator.migrate(fixture.database)
        let mailer = MailTemplateTests.RecordingMailer()
        let subject = try Subject(fixture, mailer: mailer)
        for number in 1...1000 {
            try await subject.bus.dispatch(ReportTechnicalError(source: "web POST /api/requests", message: "database timeout after \(number) ms"))
        }
        try await subject.bus.dispatch(ReportTechnicalError(source: "worker async", message: "disk full"))
        #expect(try await subject.queue.statistics().total == 2)
        await subject.work()
        #expect(mailer.sent.withLock { $0.count } == 0, "a digest waits a minute for the repetitions")
        subject.clock.advance(by: 61)
        await subject.work()
        let first = mailer.sent.withLock { $0 }
        #expect(first.count == 2)
        let timeouts = try #require(first.first { $0.subject.contains("database timeout") })
        #expect(timeouts.to == ["ops@univ.example", "dev@univ.example"])
        #expect(timeouts.subject.hasPrefix("[technical error] ×1000 web POST /api/requests"))
        #expect(timeouts.text.contains("1000 occurrence(s)") && timeouts.text.contains("Occurrences in all: 1000"))

        // Five more within the hour: held for the next digest, an hour after the previous one.
        for number in 1...5 {
            try await subject.bus.dispatch(ReportTechnicalError(source: "web POST /api/requests", message: "database timeout after \(number) ms"))
        }
        subject.clock.advance(by: 61)
        await subject.work()
        #expect(mailer.sent.withLock { $0.count } == 2)
        subject.clock.advance(by: 3600)
        await subject.work()
        let second = mailer.sent.withLock { $0.dropFirst(2) }
        #expect(second.count == 1)
        #expect(second.first?.subject.hasPrefix("[technical error] ×5 ") == true)
        #expect(second.first?.text.contains("Occurrences in all: 1005") == true)
        let rows = try await fixture.database.query("SELECT occurrences, mailed_occurrences FROM technical_errors ORDER BY occurrences DESC")
        #expect(rows == [["1005", "1005"], ["1", "1"]])
        try await fixture.remove()
    }

    struct Exploding: Message {
        static let messageName = "Test.Exploding"
    }

    @Test("a message a worker parks is reported as a technical error, one fingerprint per type and error", arguments: Kind.allCases)
    func parked(kind: Kind) async throws {
        let fixture = try await AppDatabaseTests.Fixture(kind)
        _ = try await AppMigrator.migrate(fixture.database)
        let subject = try Subject(fixture, mailer: MailTemplateTests.RecordingMailer()) { registry in
            registry.handle(Exploding.self, name: "explode") { _, _ in throw UnrecoverableMessageError("the archive at /srv/archive is gone") }
        }
        let (work, failed) = (InMemoryTransport(name: "work"), InMemoryTransport(name: "failed"))
        for _ in 1...3 { _ = try await work.send(Envelope(Exploding())) }
        let worker = Worker(transports: [WorkerTransport(name: "work", transport: work, failureDestination: .init(name: "failed", sender: failed))],
                            bus: subject.bus, options: WorkerOptions(stopWhenEmpty: true), logger: Logger(label: "test"))
        _ = await worker.run()
        #expect(try await failed.statistics().total == 3)
        let rows = try await fixture.database.query("SELECT source, message, occurrences FROM technical_errors")
        #expect(rows.count == 1)
        #expect(rows.first?[0] == "worker work")
        #expect(rows.first?[1] == "Test.Exploding parked in failed after 1 attempt(s): Messenger.UnrecoverableMessageError: explode: the archive at /srv/archive is gone")
        #expect(rows.first?[2] == "3")
        // One digest waits for the three.
        #expect(try await subject.queue.statistics().total == 1)
        // A parked report is not reported again: routed to the queue it failed on, it would report
        // itself for ever (the application's database down, say).
        var registry = MessageRegistry()
        let environment = AppEnvironment(projectDirectory: fixture.directory.path)
        registry.register(ReportTechnicalErrorHandler(database: fixture.shared, environment: environment))
        registry.register(MessageParkedHandler())
        let bus = MessageBus(registry: registry, senders: SendersLocator(routing: [ReportTechnicalError.messageName: ["work"]], senders: ["work": work]))
        _ = try await work.send(Envelope(ReportTechnicalError(source: "x", message: "y")))
        try await fixture.database.query("DROP TABLE technical_errors")
        let again = Worker(transports: [WorkerTransport(name: "work", transport: work, retryStrategy: MultiplierRetryStrategy(maxRetries: 0),
                                                        failureDestination: .init(name: "failed", sender: failed))],
                           bus: bus, options: WorkerOptions(stopWhenEmpty: true), logger: Logger(label: "test"))
        _ = await again.run()
        #expect(try await failed.statistics().total == 4)
        #expect(try await work.statistics().total == 0)
        try await fixture.remove()
    }

    @Test("fingerprints group a message whatever its numbers, and keep sources and messages apart")
    func fingerprints() {
        let fingerprint = ReportTechnicalError.fingerprint
        #expect(fingerprint("web", "timeout after 1234 ms") == fingerprint("web", "timeout after 9 ms"))
        #expect(fingerprint("web", "timeout after 1234 ms") != fingerprint("worker", "timeout after 1234 ms"))
        #expect(fingerprint("web", "timeout") != fingerprint("web", "disk full"))
        #expect(ReportTechnicalError(source: "a", message: "b", fingerprint: "given").effectiveFingerprint == "given")
        #expect(fingerprint("web", "x").count == 16)
    }

    @Test("an address quoted in a report is stored (and so mailed) without its password", arguments: Kind.allCases)
    func redacted(kind: Kind) async throws {
        let fixture = try await AppDatabaseTests.Fixture(kind)
        _ = try await AppMigrator.migrate(fixture.database)
        let subject = try Subject(fixture, mailer: MailTemplateTests.RecordingMailer())
        try await subject.bus.dispatch(ReportTechnicalError(
            source: "worker (postgresql://w:pw1@db/app)",
            message: "cannot connect to \"postgresql://app:Sup3r@Secret@db.univ.example/app\" (smtp://mailer:pw@mx:25 too)"))
        #expect(try await fixture.database.query("SELECT source, message FROM technical_errors") == [[
            "worker (postgresql://w:***@db/app)", "cannot connect to \"postgresql://app:***@db.univ.example/app\" (smtp://mailer:***@mx:25 too)",
        ]])
        try await fixture.remove()
    }
}
