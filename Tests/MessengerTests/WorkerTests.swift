import Foundation
import Logging
import Messenger
import Synchronization
import Testing

@Suite("Worker")
struct WorkerTests {
    /// A worker over one in-memory transport with a failure transport, instant retries.
    struct Setup {
        let recorder = Recorder()
        let queue = InMemoryTransport()
        let failed = InMemoryTransport()
        let bus: MessageBus

        init(maxRetries: Int = 2, registryChange: (inout MessageRegistry, Recorder) -> Void = { _, _ in }) {
            var registry = registry(recorder)
            registryChange(&registry, recorder)
            bus = MessageBus(registry: registry, senders: SendersLocator(routing: ["*": ["async"]], senders: ["async": queue]))
            self.maxRetries = maxRetries
        }

        let maxRetries: Int

        func worker(_ options: WorkerOptions = WorkerOptions(stopWhenEmpty: true), failureTransport: Bool = true, serializer: (any Serializer)? = nil) -> Worker {
            let transport = WorkerTransport(
                name: "async", transport: queue,
                retryStrategy: MultiplierRetryStrategy(maxRetries: maxRetries, delayMilliseconds: 0, jitter: 0),
                failureDestination: failureTransport ? .init(name: "failed", sender: failed) : nil
            )
            return Worker(transports: [transport], bus: bus, options: options, serializer: serializer)
        }
    }

    @Test("handles and acknowledges every message, then stops when empty")
    func handlesAndAcks() async throws {
        let setup = Setup()
        for name in ["a", "b", "c"] { try await setup.bus.dispatch(Greet(name: name)) }
        let reason = await setup.worker().run()
        #expect(reason == .empty)
        #expect(setup.recorder.all == ["greet a", "greet b", "greet c"])
        #expect(setup.queue.acknowledged.count == 3)
        #expect(try await setup.queue.statistics().total == 0)
    }

    @Test("a failing message is retried with a RedeliveryStamp and succeeds")
    func retries() async throws {
        let setup = Setup(maxRetries: 2)
        try await setup.bus.dispatch(Flaky(failTimes: 2))
        _ = await setup.worker().run()
        #expect(setup.recorder.all == ["flaky attempt 1", "flaky attempt 2", "flaky attempt 3"])
        #expect(setup.queue.rejectedEnvelopes.count == 2)
        #expect(setup.queue.acknowledged.last?.last(RedeliveryStamp.self)?.retryCount == 2)
        #expect(try await setup.failed.list(limit: 10).isEmpty)
    }

    @Test("after the last retry the message is parked with its error, never dropped")
    func parksAfterRetries() async throws {
        let setup = Setup(maxRetries: 1)
        try await setup.bus.dispatch(Flaky(failTimes: 10))
        _ = await setup.worker().run()
        #expect(setup.recorder.all.count == 2)
        let parked = try #require(try await setup.failed.list(limit: 10).first)
        #expect(parked.message is Flaky)
        let details = try #require(parked.last(ErrorDetailsStamp.self))
        #expect(details.errorType.hasSuffix("PlainFailure"))
        #expect(details.location == "handler flaky")
        #expect(parked.last(SentToFailureTransportStamp.self)?.originalTransportName == "async")
        #expect(try await setup.queue.statistics().total == 0)
    }

    @Test("an unrecoverable error parks at once")
    func unrecoverable() async throws {
        let setup = Setup(maxRetries: 3)
        try await setup.bus.dispatch(Flaky(failTimes: 10, kind: .unrecoverable))
        _ = await setup.worker().run()
        #expect(setup.recorder.all == ["flaky attempt 1"])
        #expect(try await setup.failed.list(limit: 10).count == 1)
    }

    @Test("a recoverable error is retried beyond max_retries")
    func recoverable() async throws {
        let setup = Setup(maxRetries: 1)
        try await setup.bus.dispatch(Flaky(failTimes: 4, kind: .recoverable))
        _ = await setup.worker().run()
        #expect(setup.recorder.all.count == 5)
        #expect(try await setup.failed.list(limit: 10).isEmpty)
    }

    @Test("on retry, handlers that already succeeded are not run again")
    func skipsSucceededHandlers() async throws {
        let setup = Setup(maxRetries: 2) { registry, recorder in
            registry.handle(Flaky.self, name: "audit") { _, _ in recorder.record("audit") }
        }
        try await setup.bus.dispatch(Flaky(failTimes: 1))
        _ = await setup.worker().run()
        #expect(setup.recorder.all == ["flaky attempt 1", "audit", "flaky attempt 2"])
    }

    @Test("without a failure transport, an exhausted message is dropped (and logged as critical)")
    func discardWithoutFailureTransport() async throws {
        let setup = Setup(maxRetries: 0)
        try await setup.bus.dispatch(Flaky(failTimes: 1))
        _ = await setup.worker(failureTransport: false).run()
        #expect(setup.queue.rejectedEnvelopes.count == 1)
    }

    @Test("an undecodable row is parked with the decoding error and the worker carries on")
    func undecodable() async throws {
        let setup = Setup()
        _ = try await setup.queue.send(Envelope(UndecodableMessage(body: "{", headers: "{}", error: "cannot decode")))
        try await setup.bus.dispatch(Greet(name: "after"))
        let serializer = JSONSerializer(registry: registry(Recorder()))
        _ = await setup.worker(serializer: serializer).run()
        #expect(setup.recorder.all == ["greet after"])
        let parked = try #require(try await setup.failed.list(limit: 10).first)
        #expect(parked.message is UndecodableMessage)
        #expect(parked.last(ErrorDetailsStamp.self)?.message == "cannot decode")
    }

    @Test("a parked undecodable message that decodes now is handled as its real type")
    func undecodableDecodesLater() async throws {
        let setup = Setup()
        let serializer = JSONSerializer(registry: registry(Recorder()))
        let original = try serializer.encode(Envelope(Greet(name: "late")))
        _ = try await setup.queue.send(Envelope(UndecodableMessage(body: original.body, headers: original.headers, error: "type unknown then")))
        _ = await setup.worker(serializer: serializer).run()
        #expect(setup.recorder.all == ["greet late"])
    }

    @Test("a message whose workers kept dying goes to the failure transport instead of looping")
    func abandonedDeliveries() async throws {
        let setup = Setup(maxRetries: 2)
        let worker = setup.worker()
        let transport = WorkerTransport(name: "async", transport: setup.queue,
                                        retryStrategy: MultiplierRetryStrategy(maxRetries: 2), failureDestination: .init(name: "failed", sender: setup.failed))
        // Third delivery: two earlier workers died handling it; that is within max_retries, so it is handled.
        #expect(try await worker.handleOne(Envelope(Greet(name: "survivor"), stamps: [DeliveryCountStamp(3, abandonedStarts: 2)]), from: transport))
        #expect(setup.recorder.all == ["greet survivor"])
        // Delivered many times, but never known to have started a handler (the rest of dead workers'
        // batches): handled, not parked.
        #expect(try await worker.handleOne(Envelope(Greet(name: "bystander"), stamps: [DeliveryCountStamp(9, abandonedStarts: 0)]), from: transport))
        #expect(setup.recorder.all == ["greet survivor", "greet bystander"])
        // Three deaths in a handler exceed max_retries: parked without running the handler again.
        #expect(try await !worker.handleOne(Envelope(Greet(name: "poison"), stamps: [DeliveryCountStamp(4, abandonedStarts: 3)]), from: transport))
        #expect(setup.recorder.all == ["greet survivor", "greet bystander"])
        let parked = try #require(try await setup.failed.list(limit: 10).first)
        #expect(parked.last(ErrorDetailsStamp.self)?.errorType.hasSuffix("AbandonedDeliveryError") == true)
        #expect(parked.last(ErrorDetailsStamp.self)?.message.contains("started 3 time(s) and never acknowledged") == true)
    }

    @Test("message and failure limits stop the worker")
    func limits() async throws {
        let setup = Setup(maxRetries: 0)
        for name in ["a", "b", "c"] { try await setup.bus.dispatch(Greet(name: name)) }
        #expect(await setup.worker(WorkerOptions(limit: 2, sleep: .milliseconds(1))).run() == .messageLimit)
        #expect(setup.recorder.all == ["greet a", "greet b"])
        // The rest of the claimed batch was given back, not left claimed.
        #expect(try await setup.queue.statistics().ready == 1)

        let failing = Setup(maxRetries: 0)
        for _ in 0..<3 { try await failing.bus.dispatch(Flaky(failTimes: 1)) }
        #expect(await failing.worker(WorkerOptions(failureLimit: 2, sleep: .milliseconds(1))).run() == .failureLimit)
    }

    @Test("stop() lets the message in hand finish and be acknowledged")
    func gracefulStop() async throws {
        let started = AsyncStream.makeStream(of: Void.self)
        let setup = Setup { registry, recorder in
            registry.handle(Notify.self, name: "slow") { message, _ in
                started.continuation.yield()
                try await Task.sleep(for: .milliseconds(200))
                recorder.record("slow done \(message.text)")
            }
        }
        try await setup.bus.dispatch(Notify(text: "1"))
        try await setup.bus.dispatch(Notify(text: "2"))
        let worker = setup.worker(WorkerOptions(sleep: .seconds(60)))
        async let reason = worker.run()
        var iterator = started.stream.makeAsyncIterator()
        await iterator.next()
        worker.stop()
        #expect(await reason == .stopRequested)
        #expect(setup.recorder.all.contains("slow done 1"))
        #expect(!setup.recorder.all.contains("slow done 2"))
        #expect(setup.queue.acknowledged.count == 1)
        #expect(try await setup.queue.statistics().ready == 1)
    }

    @Test("while a long handler runs, the worker tells the transport every keepalive interval", .timeLimit(.minutes(1)))
    func keepalive() async throws {
        let queue = InMemoryTransport()
        let spy = KeepaliveSpy(base: queue)
        var registry = MessageRegistry()
        // The handler runs until the transport has heard two keepalives for it.
        registry.handle(Notify.self, name: "long") { _, _ in
            var heard = spy.calls.makeAsyncIterator()
            _ = await heard.next()
            _ = await heard.next()
        }
        let bus = MessageBus(registry: registry, senders: SendersLocator(routing: ["*": ["async"]], senders: ["async": queue]))
        try await bus.dispatch(Notify(text: "long"))
        let worker = Worker(transports: [WorkerTransport(name: "async", receiver: spy, retrySender: queue, retryStrategy: MultiplierRetryStrategy(), failureDestination: nil)],
                            bus: bus, options: WorkerOptions(keepaliveInterval: .milliseconds(50), stopWhenEmpty: true))
        _ = await worker.run()
        #expect(spy.count >= 2)
        #expect(queue.acknowledged.count == 1)
    }

    @Test("an idle worker wakes from its sleep as soon as it is stopped")
    func stopWhileIdle() async throws {
        let worker = Setup().worker(WorkerOptions(sleep: .seconds(3600)))
        async let reason = worker.run()
        worker.stop()
        #expect(await reason == .stopRequested)
    }

    @Test("higher-priority receivers are always drained first")
    func priorities() async throws {
        let recorder = Recorder()
        let (high, low) = (InMemoryTransport(), InMemoryTransport())
        let bus = MessageBus(registry: registry(recorder), senders: SendersLocator(routing: ["Test.Greet": ["high"], "Test.Notify": ["low"]], senders: ["high": high, "low": low]))
        try await bus.dispatch(Notify(text: "low1"))
        try await bus.dispatch(Greet(name: "high1"))
        try await bus.dispatch(Greet(name: "high2"))
        let worker = Worker(transports: [WorkerTransport(name: "high", transport: high), WorkerTransport(name: "low", transport: low)],
                            bus: bus, options: WorkerOptions(stopWhenEmpty: true))
        _ = await worker.run()
        #expect(recorder.all == ["greet high1", "greet high2", "notify low1"])
    }
}

/// Counts keepalive calls on the way to a real receiver, and announces each one.
final class KeepaliveSpy: Receiver {
    let base: InMemoryTransport
    private let counter = Mutex(0)
    private let announce: AsyncStream<Void>.Continuation
    let calls: AsyncStream<Void>

    init(base: InMemoryTransport) {
        self.base = base
        (calls, announce) = AsyncStream.makeStream(of: Void.self)
    }

    var count: Int { counter.withLock { $0 } }
    func get(limit: Int) async throws -> [Envelope] { try await base.get(limit: limit) }
    func ack(_ envelope: Envelope) async throws { try await base.ack(envelope) }
    func reject(_ envelope: Envelope) async throws { try await base.reject(envelope) }
    func keepalive(_ envelope: Envelope) async throws {
        counter.withLock { $0 += 1 }
        announce.yield()
    }
}
