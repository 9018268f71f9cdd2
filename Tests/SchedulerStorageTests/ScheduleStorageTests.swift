import Foundation
import Logging
import Messenger
import MessengerPostgres
import MessengerSQLite
import MessengerTestSupport
import Scheduler
import Synchronization
import Testing

/// The scheduler on the real databases: occurrence records and messages in one SQLite file or one
/// PostgreSQL database, written by several connections as several worker processes would.
@Suite("Scheduler on SQLite and PostgreSQL")
struct ScheduleStorageTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case sqlite
        case postgres
        var testDescription: String { rawValue }
    }

    struct Tick: Message {
        static let messageName = "Test.Tick"
        var label: String
    }

    /// A table transport that throws after storing its first batch: the failure comes after the rows
    /// were inserted in the tick's transaction.
    final class FailsOnceAfterStoring: BatchSender {
        let inner: any BatchSender
        let failed = Mutex(false)
        init(_ inner: any BatchSender) { self.inner = inner }
        func send(_ envelope: Envelope) async throws -> Envelope { try await send(contentsOf: [envelope])[0] }
        func send(contentsOf envelopes: [Envelope]) async throws -> [Envelope] {
            let sent = try await inner.send(contentsOf: envelopes)
            let first = failed.withLock { failed in
                defer { failed = true }
                return !failed
            }
            if first { throw ScheduleError("boom after storing") }
            return sent
        }
    }

    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// One database, and what each simulated process opens on it.
    final class Store: Sendable {
        let kind: Kind
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let directory: TemporaryDirectory
        let table: String
        let schedule = "s\(UInt32.random(in: 0...UInt32.max))"
        let serializer: JSONSerializer
        let opened = Mutex<[(any ClosableTransport, any OccurrenceLedger)]>([])

        init(_ kind: Kind) throws {
            self.kind = kind
            directory = try TemporaryDirectory("schedule-storage")
            table = TestPostgres.uniqueTable("sched")
            var registry = MessageRegistry()
            registry.handle(Tick.self, name: "tick") { _, _ in }
            serializer = JSONSerializer(registry: registry, stampTypes: {
                var types = StampTypes.builtIn
                types.register(ScheduledStamp.self)
                return types
            }())
        }

        /// A transport on the store, with its own connections, as a new process would open it.
        func transport() throws -> any ListableReceiver & ClosableTransport & OccurrenceLedgerProvider & BatchSender {
            switch kind {
            case .sqlite:
                let connection = SQLiteConnection(path: directory.file("queue.sqlite"), synchronous: "NORMAL")
                return SQLiteTransport(name: "async", connection: connection, options: SQLiteTransportOptions(), serializer: serializer, now: clock.closure)
            case .postgres:
                var options = PostgresTransportOptions()
                options.tableName = table
                let info = try PostgresConnectionInfo(dsn: try DSN(parsing: try TestPostgres.url))
                return PostgresTransport(name: "async", info: info, options: options, serializer: serializer, logger: ScheduleStorageTests.quiet)
            }
        }

        /// A receiver for `tasks` as one worker process would run it: its own transport and ledger.
        func receiver(_ tasks: [RecurringMessage], failingOnce: Bool = false) throws -> (ScheduleReceiver, any OccurrenceLedger) {
            let transport = try transport()
            let ledger = transport.makeOccurrenceLedger()
            opened.withLock { $0.append((transport, ledger)) }
            var registry = MessageRegistry()
            registry.handle(Tick.self, name: "tick") { _, _ in }
            let sender: any Sender = failingOnce ? FailsOnceAfterStoring(transport) : transport
            let senders = SendersLocator(routing: ["Test.Tick": ["async"]], senders: ["async": sender])
            let bus = MessageBus(registry: registry, senders: senders)
            let receiver = try ScheduleReceiver(
                schedule: try Schedule(name: schedule, tasks), ledger: ledger, bus: bus, senders: senders,
                clock: ManualSchedulerClock(clock), logger: ScheduleStorageTests.quiet
            )
            return (receiver, ledger)
        }

        /// The stamps of every stored message.
        func storedOccurrences() async throws -> [ScheduledStamp] {
            let reader = try transport()
            let stamps = try await reader.list(limit: 1_000_000).compactMap { $0.last(ScheduledStamp.self) }
            await reader.close()
            return stamps
        }

        func remove() async throws {
            for (transport, ledger) in opened.withLock({ $0 }) {
                await transport.close()
                await ledger.close()
            }
            if kind == .postgres {
                let admin = try PostgresConnection(url: try TestPostgres.url)
                try await admin.execute("DROP TABLE IF EXISTS \(table); DELETE FROM messenger_scheduler_occurrences WHERE schedule = '\(schedule)'")
                await admin.close()
            }
            directory.remove()
        }
    }

    static func catchingUp(_ task: RecurringMessage, _ policy: CatchUpPolicy = .all, grace: Int = 60) -> RecurringMessage {
        var task = task
        task.catchUp = policy
        task.maxCatchUp = 1000
        task.misfireGraceSeconds = grace
        return task
    }

    @Test("three processes over a simulated day of minute-level tasks: each occurrence stored once, none missed", arguments: Kind.allCases)
    func exactlyOnce(kind: Kind) async throws {
        let store = try Store(kind)
        let tasks = try [
            RecurringMessage.every("1 minute", Tick(label: "minute"), name: "minute"),
            RecurringMessage.cron("*/5 * * * *", timeZone: "Europe/Paris", Tick(label: "five"), name: "five"),
            RecurringMessage.cron("#hourly", Tick(label: "hourly"), name: "hourly"),
        ].map { Self.catchingUp($0) }
        let receivers = try (0..<3).map { _ in try store.receiver(tasks).0 }
        let start = store.clock.now
        for receiver in receivers { try await receiver.tick() }
        var generator = SystemRandomNumberGenerator()
        while store.clock.now < start.addingTimeInterval(86_400) {
            store.clock.advance(by: Double(Int.random(in: 30...300, using: &generator)))
            try await withThrowingTaskGroup(of: ScheduleReceiver.TickSummary.self) { group in
                for receiver in receivers { group.addTask { try await receiver.tick() } }
                try await group.waitForAll()
            }
        }
        let stored = try await store.storedOccurrences().map { "\($0.task)@\($0.occurrence!.timeIntervalSince1970)" }
        #expect(stored.count == Set(stored).count, "an occurrence was stored twice")
        var expected: Set<String> = []
        for task in tasks {
            let trigger = try task.makeTrigger(schedule: store.schedule)
            var cursor = start
            while let run = trigger.nextRun(after: cursor), run <= store.clock.now {
                expected.insert("\(task.name)@\(run.timeIntervalSince1970)")
                cursor = run
            }
        }
        #expect(expected.count >= 1440 + 288 + 24)
        #expect(Set(stored) == expected)
        try await store.remove()
    }

    @Test("a failure after the message was stored rolls both back; the next tick stores the occurrence once", arguments: Kind.allCases)
    func transactional(kind: Kind) async throws {
        let store = try Store(kind)
        let (receiver, ledger) = try store.receiver([try .every("1 minute", Tick(label: "flaky"), name: "flaky")], failingOnce: true)
        try await receiver.tick()
        store.clock.advance(by: 60)
        await #expect(throws: ScheduleError("boom after storing")) { try await receiver.tick() }
        #expect(try await store.storedOccurrences().isEmpty)
        #expect(try await ledger.lastEmitted(schedule: store.schedule).isEmpty)
        #expect(try await receiver.tick().emitted == 1)
        let stored = try await store.storedOccurrences()
        #expect(stored.map(\.occurrence) == [store.clock.now])
        #expect(try await ledger.lastEmitted(schedule: store.schedule)["flaky"] == store.clock.now)
        try await store.remove()
    }

    @Test("after a 3-hour outage a new process catches up: all 180, last 1, none 0 (and moves past them)", arguments: Kind.allCases)
    func catchUpAfterOutage(kind: Kind) async throws {
        let store = try Store(kind)
        let tasks = try [CatchUpPolicy.all, .last, .none].map { policy in
            Self.catchingUp(try .every("1 minute", Tick(label: policy.rawValue), name: policy.rawValue), policy, grace: 0)
        }
        let start = store.clock.now
        let (before, _) = try store.receiver(tasks)
        try await before.tick()
        await before.close()
        store.clock.advance(by: 3 * 3600 + 30)
        let (after, ledger) = try store.receiver(tasks)
        let summary = try await after.tick()
        #expect(summary.emitted == 181)
        #expect(summary.skipped == 179 + 180)
        let counts = Dictionary(grouping: try await store.storedOccurrences(), by: \.task).mapValues(\.count)
        #expect(counts == ["all": 180, "last": 1])
        let lastRuns = try await ledger.lastEmitted(schedule: store.schedule)
        #expect(lastRuns == ["all": start.addingTimeInterval(10_800), "last": start.addingTimeInterval(10_800)])
        #expect(try await ledger.checkpoints(schedule: store.schedule)["none"] == start.addingTimeInterval(10_800))
        // Back to normal: the next occurrence, found due on time, runs under every policy.
        store.clock.advance(by: 30)
        #expect(try await after.tick().emitted == 3)
        try await store.remove()
    }
}
