import Foundation
import Logging
import Messenger
import Scheduler
import ServiceLifecycle
import Testing

@Suite("SchedulerService in a ServiceGroup", .timeLimit(.minutes(1)))
struct SchedulerServiceTests {
    struct Beat: Message {
        static let messageName = "Test.Beat"
        var label: String
    }

    @Test("emits its occurrences (a message routed nowhere is handled by the service itself) until the group shuts down")
    func emitsUntilShutdown() async throws {
        let handled = AsyncStream.makeStream(of: Date.self)
        var registry = MessageRegistry()
        registry.handle(Beat.self, name: "beat") { _, context in
            handled.continuation.yield(try #require(context.envelope.last(ScheduledStamp.self)?.occurrence))
        }
        let senders = SendersLocator(routing: [:], senders: [:])
        let ledger = InMemoryOccurrenceLedger()
        let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let service = try SchedulerService(schedule: try Schedule(name: "beats", [try .every("1 second", Beat(label: "beat"), name: "beat")]), ledger: ledger,
                                           bus: MessageBus(registry: registry, senders: senders), senders: senders, logger: quiet)
        let group = ServiceGroup(services: [service], logger: quiet)
        async let running: Void = group.run()
        var occurrences = handled.stream.makeAsyncIterator()
        let first = try #require(await occurrences.next())
        let second = try #require(await occurrences.next())
        #expect(second.timeIntervalSince(first) == 1, "one occurrence a second, each once")
        await group.triggerGracefulShutdown()
        try await running
        #expect(service.receiver.name == "scheduler_beats")
    }
}
