@testable import App
import Foundation
import Messenger
import MessengerConfig
import MessengerSQLite
import MessengerTestSupport
import Testing

/// Apogée within its limits: the repository's configuration and the message's own group, enforced by
/// a transport as the application's workers run it.
@Suite("Apogee within its limits")
struct ApogeeLimitsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test("config/messenger.yaml rate-limits Apogée (APOGEE_RATE_LIMIT, 10/s by .env) and each student's fetches run one at a time, in order")
    func limits() async throws {
        let environment = try Environment.load(projectDirectory: Self.repository, process: [:])
        let configuration = try MessengerConfigLoader.load(projectDirectory: Self.repository, environment: environment)
        let rule = try #require(configuration.limits.rules.first { $0.key == FetchApogeeEnrollment.messageName })
        #expect(rule.rateLimit == RateLimit(limit: 10, intervalMilliseconds: 1000))

        let directory = try TemporaryDirectory("apogee-limits")
        defer { directory.remove() }
        let clock = TestClock()
        var registry = MessageRegistry()
        registry.handle(FetchApogeeEnrollment.self, name: "fetch") { _, _ in }
        let serializer = JSONSerializer(registry: registry)
        let transport = SQLiteTransport(name: "async", connection: SQLiteConnection(path: directory.file("queue.sqlite")), options: SQLiteTransportOptions(),
                                        serializer: serializer, limits: configuration.limits, now: clock.closure)
        let bus = MessageBus(registry: registry, senders: SendersLocator(routing: [FetchApogeeEnrollment.messageName: ["async"]], senders: ["async": transport]))
        let first = try await bus.dispatch(FetchApogeeEnrollment(studentNumber: "21000123"))
        #expect(first.last(GroupStamp.self) == GroupStamp("student-21000123"))
        let running = try await transport.get(limit: 10)
        #expect(running.count == 1)
        // The student changes while the first fetch runs: a second one is queued (deduplication lets
        // it in), and waits for the first.
        let second = try await bus.dispatch(FetchApogeeEnrollment(studentNumber: "21000123"))
        let rowId = try #require(second.last(TransportMessageIdStamp.self)?.id)
        #expect(try await transport.waitingReason(rowId: rowId) == #"ordered group "student-21000123": 1 earlier message(s) of the group first"#)
        // The weekly fan-out: at most the bucket's 10 starts at once (one spent above), then 10 a second.
        for number in 1...20 { try await bus.dispatch(FetchApogeeEnrollment(studentNumber: "2200\(number)")) }
        #expect(try await transport.get(limit: 100).count == 9)
        #expect(try await transport.heldBack() == HeldBackCounts(group: 1, rate: 11))
        clock.advance(by: 0.5)
        #expect(try await transport.get(limit: 100).count == 5)
        await transport.close()
    }
}
