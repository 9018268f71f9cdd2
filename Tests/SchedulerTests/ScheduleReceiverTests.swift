import Foundation
import Logging
import Messenger
import MessengerTestSupport
import Scheduler
import Synchronization
import Testing

/// The receiver over an in-memory ledger and transport: routing, local handling, exactly-once among
/// receivers sharing a ledger, and what an emission failure leaves behind.
@Suite("The scheduler_<name> receiver")
struct ScheduleReceiverTests {
    struct Tick: Message {
        static let messageName = "Test.Tick"
        var label: String
    }

    /// Throws after the message was sent, once per message whose label it is given.
    struct FailAfterSend: Middleware {
        let label: String
        let failures: Counter
        func handle(_ envelope: Envelope, next: MiddlewareNext) async throws -> Envelope {
            let result = try await next(envelope)
            if (envelope.message as? Tick)?.label == label, failures.increment() == 1 { throw ScheduleError("boom") }
            return result
        }
    }

    final class Counter: Sendable {
        private let value = Mutex(0)
        func increment() -> Int { value.withLock { $0 += 1; return $0 } }
    }

    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
    let transport = InMemoryTransport()

    func receiver(_ schedule: Schedule, ledger: any OccurrenceLedger, routing: [String: [String]] = ["Test.Tick": ["async"]], middleware: [any Middleware] = []) throws -> ScheduleReceiver {
        var registry = MessageRegistry()
        registry.handle(Tick.self, name: "tick") { _, _ in }
        let senders = SendersLocator(routing: routing, senders: ["async": transport])
        let bus = MessageBus(registry: registry, senders: senders, userMiddleware: middleware)
        return try ScheduleReceiver(schedule: schedule, ledger: ledger, bus: bus, senders: senders, clock: ManualSchedulerClock(clock), logger: Self.quiet)
    }

    func stored() async throws -> [Envelope] { try await transport.list(limit: 100_000) }

    @Test("a routed message is stored in its transport with the occurrence stamped; nothing is handed to the worker")
    func routed() async throws {
        let schedule = try Schedule([try .every("1 minute", Tick(label: "minute"))])
        let receiver = try receiver(schedule, ledger: InMemoryOccurrenceLedger())
        #expect(try await receiver.get(limit: 10).isEmpty) // first sight: registered, nothing owed yet
        #expect(try await receiver.nextAvailableDate() == clock.now.addingTimeInterval(60))
        clock.advance(by: 61)
        #expect(try await receiver.get(limit: 10).isEmpty)
        let messages = try await stored()
        #expect(messages.count == 1)
        #expect(messages[0].last(ScheduledStamp.self) == ScheduledStamp(schedule: "default", task: "Test.Tick", occurrence: clock.now.addingTimeInterval(-1)))
    }

    @Test("an unrouted message is handed to the consuming worker, stamped as received from scheduler_default")
    func unrouted() async throws {
        let schedule = try Schedule(name: "default", [try .every("1 minute", Tick(label: "here"))])
        let receiver = try receiver(schedule, ledger: InMemoryOccurrenceLedger(), routing: [:])
        _ = try await receiver.get(limit: 10)
        clock.advance(by: 60)
        let handed = try await receiver.get(limit: 10)
        #expect(handed.count == 1)
        #expect(handed.first?.last(ReceivedStamp.self)?.transportName == "scheduler_default")
        #expect((handed.first?.message as? Tick)?.label == "here")
        #expect(try await stored().isEmpty)
    }

    @Test("three receivers sharing a ledger over a simulated day: each occurrence of each task emitted once, none missed")
    func exactlyOnceInProcess() async throws {
        let tasks = try [
            RecurringMessage.every("1 minute", Tick(label: "minute"), name: "minute"),
            RecurringMessage.cron("*/5 * * * *", timeZone: "Europe/Paris", Tick(label: "five"), name: "five"),
            RecurringMessage.cron("#hourly", Tick(label: "hourly"), name: "hourly"),
        ].map { task in
            var task = task
            task.catchUp = .all
            task.maxCatchUp = 1000
            return task
        }
        let schedule = try Schedule(tasks)
        let ledger = InMemoryOccurrenceLedger()
        let receivers = try (0..<3).map { _ in try receiver(schedule, ledger: ledger) }
        let start = clock.now
        for receiver in receivers { try await receiver.tick() }
        while clock.now < start.addingTimeInterval(86_400) {
            clock.advance(by: Double(Int.random(in: 20...150)))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for receiver in receivers { group.addTask { _ = try await receiver.tick() } }
                try await group.waitForAll()
            }
        }
        let emitted = try await stored().compactMap { $0.last(ScheduledStamp.self) }.map { "\($0.task)@\($0.occurrence!.timeIntervalSince1970)" }
        #expect(emitted.count == Set(emitted).count, "an occurrence was emitted twice")
        var expected: Set<String> = []
        for task in tasks {
            let trigger = try task.makeTrigger(schedule: "default")
            var cursor = start
            while let run = trigger.nextRun(after: cursor), run <= clock.now {
                expected.insert("\(task.name)@\(run.timeIntervalSince1970)")
                cursor = run
            }
        }
        #expect(expected.count > 1440 + 288 + 23)
        #expect(Set(emitted) == expected)
    }

    @Test("a failure while emitting records nothing: the next tick emits that occurrence")
    func failedEmission() async throws {
        let schedule = try Schedule([try .every("1 minute", Tick(label: "flaky"))])
        let ledger = InMemoryOccurrenceLedger()
        let receiver = try receiver(schedule, ledger: ledger, middleware: [FailAfterSend(label: "flaky", failures: Counter())])
        _ = try await receiver.tick()
        let registered = try await ledger.checkpoints(schedule: "default")["Test.Tick"]
        clock.advance(by: 60)
        await #expect(throws: ScheduleError("boom")) { try await receiver.tick() }
        #expect(try await ledger.checkpoints(schedule: "default")["Test.Tick"] == registered)
        #expect(try await receiver.tick() == ScheduleReceiver.TickSummary(emitted: 1, skipped: 0, takenElsewhere: 0))
        #expect(try await ledger.lastEmitted(schedule: "default")["Test.Tick"] == clock.now)
    }

    @Test("a disabled task emits nothing and does not wake the worker")
    func disabled() async throws {
        var task = try RecurringMessage.every("1 minute", Tick(label: "off"))
        task.enabled = false
        let receiver = try receiver(try Schedule([task]), ledger: InMemoryOccurrenceLedger())
        _ = try await receiver.tick()
        clock.advance(by: 600)
        #expect(try await receiver.tick().emitted == 0)
        #expect(try await receiver.nextAvailableDate() == nil)
        #expect(try await stored().isEmpty)
    }
}
