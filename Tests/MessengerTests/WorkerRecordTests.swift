import Foundation
import Messenger
import Synchronization
import Testing

/// What a worker writes into status records: outcomes, results, progress, cancellations.
@Suite("Worker and status records")
struct WorkerRecordTests {
    struct Slow: Message {
        static let messageName = "Test.Slow"
        /// Whether the handler stops when cancelled (else it finishes anyway).
        var honoursCancellation: Bool
    }

    /// Lets a test hold a handler until it says so.
    final class Gate: Sendable {
        private let state = Mutex((started: false, open: false, sawCancellation: false))
        func start() { state.withLock { $0.started = true } }
        func open() { state.withLock { $0.open = true } }
        func noteCancellation() { state.withLock { $0.sawCancellation = true } }
        var sawCancellation: Bool { state.withLock { $0.sawCancellation } }
        var hasStarted: Bool { state.withLock { $0.started } }
        var isOpen: Bool { state.withLock { $0.open } }
    }

    struct Setup {
        let queue = InMemoryTransport(name: "async")
        let failed = InMemoryTransport(name: "failed")
        let gate = Gate()
        let bus: MessageBus

        init() {
            var registry = registry(Recorder())
            let gate = gate
            registry.handle(Slow.self, name: "slow") { message, context in
                gate.start()
                for step in 1...10_000 { context.progress(Double(step) / 10_000, "\(step) of 10000") }
                while !gate.isOpen {
                    if message.honoursCancellation {
                        try await Task.sleep(for: .milliseconds(10))
                    } else {
                        if Task.isCancelled { gate.noteCancellation() }
                        try? await Task.sleep(for: .milliseconds(10))
                    }
                }
                return 42
            }
            bus = MessageBus(registry: registry, senders: SendersLocator(routing: ["*": ["async"]], senders: ["async": queue]))
        }

        func worker(maxRetries: Int = 1) -> Worker {
            Worker(transports: [WorkerTransport(name: "async", transport: queue, retryStrategy: MultiplierRetryStrategy(maxRetries: maxRetries, delayMilliseconds: 0, jitter: 0),
                                                failureDestination: .init(name: "failed", sender: failed))],
                   bus: bus, options: WorkerOptions(stopWhenEmpty: true))
        }

        func record(_ envelope: Envelope) async throws -> MessageRecord {
            let id = try #require(envelope.messageId)
            return try #require(try await queue.record(id: id))
        }
    }

    /// Polls the record until `condition` holds (the worker writes it at its heartbeat: nothing to await across the store).
    /// The bound is generous: the whole suite runs beside, and a heartbeat may wait long for a thread.
    static func waitFor(_ setup: Setup, _ envelope: Envelope, _ condition: (MessageRecord) -> Bool) async throws -> MessageRecord {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let record = try await setup.record(envelope)
            if condition(record) || ContinuousClock.now > deadline { return record }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test("dispatch gives every message a public id; handled, its record is completed with the handler's result; failing, retrying then failed with the error")
    func outcomes() async throws {
        let setup = Setup()
        let greeted = try await setup.bus.dispatch(Greet(name: "a"))
        let flaky = try await setup.bus.dispatch(Flaky(failTimes: 1))
        let doomed = try await setup.bus.dispatch(Flaky(failTimes: 10))
        #expect(greeted.messageId != nil && greeted.messageId != flaky.messageId)
        #expect(try await setup.record(greeted).status == .queued)
        _ = await setup.worker(maxRetries: 1).run()
        let done = try await setup.record(greeted)
        #expect(done.status == .completed && done.result == #""hello a""# && done.attempts == 1 && done.workerId == WorkerIdentity.id)
        let retried = try await setup.record(flaky)
        #expect(retried.status == .completed && retried.attempts == 2 && retried.errorMessage != nil)
        let parked = try await setup.record(doomed)
        #expect(parked.status == .failed && parked.attempts == 2 && parked.errorType != nil)
        #expect(try await setup.failed.list(limit: 10).first?.messageId == doomed.messageId)
    }

    @Test("progress reported 10,000 times in a loop is written by the heartbeat: the last report shows while the handler runs")
    func progress() async throws {
        let setup = Setup()
        let sent = try await setup.bus.dispatch(Slow(honoursCancellation: true))
        let worker = setup.worker()
        async let stopped = worker.run()
        let running = try await Self.waitFor(setup, sent) { $0.progress == 1 }
        #expect(running.status == .running && running.progress == 1 && running.progressNote == "10000 of 10000")
        setup.gate.open()
        _ = await stopped
        #expect(try await setup.record(sent).result == "42")
    }

    @Test("a cancellation asked while the handler runs cancels its task: cancelled, not retried, not parked; one that finishes anyway is completed")
    func cancellation() async throws {
        for honours in [true, false] {
            let setup = Setup()
            let sent = try await setup.bus.dispatch(Slow(honoursCancellation: honours))
            let worker = setup.worker(maxRetries: 3)
            async let stopped = worker.run()
            _ = try await Self.waitFor(setup, sent) { $0.status == .running }
            #expect(try await setup.queue.cancel(id: sent.messageId!) == .cancelling)
            if !honours {
                _ = try await Self.waitFor(setup, sent) { _ in setup.gate.sawCancellation }
                #expect(setup.gate.sawCancellation)
                setup.gate.open()
            }
            _ = await stopped
            let record = try await setup.record(sent)
            #expect(record.status == (honours ? .cancelled : .completed) && record.attempts == 1)
            #expect(setup.queue.rejectedEnvelopes.isEmpty)
            #expect(try await setup.failed.list(limit: 10).isEmpty)
        }
    }

    @Test("a worker prunes finished records past their retention, those of the failure transport it parks into too")
    func prunesFailureTransport() async throws {
        var keepNothing = RecordOptions()
        keepNothing.retention = RecordRetention(completed: .zero, failed: .zero)
        let queue = InMemoryTransport(name: "async", recordOptions: keepNothing)
        let failed = InMemoryTransport(name: "failed", recordOptions: keepNothing)
        let bus = MessageBus(registry: registry(Recorder()), senders: SendersLocator(routing: ["*": ["async"]], senders: ["async": queue]))
        let handled = try await bus.dispatch(Greet(name: "a"))
        let parked = try await bus.dispatch(Flaky(failTimes: 10))
        func worker() -> Worker {
            Worker(transports: [WorkerTransport(name: "async", transport: queue, retryStrategy: MultiplierRetryStrategy(maxRetries: 0),
                                                failureDestination: .init(name: "failed", sender: failed))],
                   bus: bus, options: WorkerOptions(stopWhenEmpty: true))
        }
        // The first worker handles and parks them (and may prune them at its start: they are not finished then).
        _ = await worker().run()
        #expect(try await failed.record(id: parked.messageId!)?.status == .failed)
        // The next one prunes when it starts.
        _ = await worker().run()
        #expect(try await queue.record(id: handled.messageId!) == nil)
        #expect(try await failed.record(id: parked.messageId!) == nil)
        #expect(try await failed.list(limit: 10).first?.messageId == parked.messageId)
    }

    @Test("a handled message's result is its handler's Encodable return value, as JSON, capped in size")
    func results() async throws {
        var registry = MessageRegistry()
        registry.handle(Greet.self, name: "big") { message, _ in String(repeating: "x", count: 70_000) + message.name }
        registry.handle(Notify.self, name: "nothing") { _, _ in }
        let queue = InMemoryTransport(name: "async")
        let bus = MessageBus(registry: registry, senders: SendersLocator(routing: ["*": ["async"]], senders: ["async": queue]))
        let big = try await bus.dispatch(Greet(name: "a"))
        let nothing = try await bus.dispatch(Notify(text: "n"))
        _ = await Worker(transports: [WorkerTransport(name: "async", transport: queue)], bus: bus, options: WorkerOptions(stopWhenEmpty: true)).run()
        #expect(try await queue.record(id: big.messageId!)?.result == #"{"truncated":true,"bytes":70003}"#)
        let empty = try await queue.record(id: nothing.messageId!)
        #expect(empty?.status == .completed && empty?.result == nil)
    }
}

@Suite("Message ids")
struct MessageIdTests {
    @Test("new ids are version 7 UUIDs: valid, unique, ordered by time")
    func timeOrdered() throws {
        let early = MessageIdStamp.timeOrderedId(at: Date(timeIntervalSince1970: 1_800_000_000))
        let late = MessageIdStamp.timeOrderedId(at: Date(timeIntervalSince1970: 1_800_000_000.002))
        #expect(early < late)
        let uuid = try #require(UUID(uuidString: early))
        #expect(uuid.uuidString.lowercased() == early)
        #expect(early.hasPrefix("01a3185c-5000-7"))
        #expect(["8", "9", "a", "b"].contains(early.split(separator: "-")[3].first.map(String.init) ?? ""))
        #expect(Set((0..<1000).map { _ in MessageIdStamp().id }).count == 1000)
    }
}
