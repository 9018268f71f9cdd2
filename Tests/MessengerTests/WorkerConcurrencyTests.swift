import Foundation
import Messenger
import Synchronization
import Testing

@Suite("Worker concurrency and wake-ups", .timeLimit(.minutes(1)))
struct WorkerConcurrencyTests {
    /// Counts handlers in progress and remembers the highest count seen.
    final class Gauge: Sendable {
        private let state = Mutex((current: 0, peak: 0))
        func enter() { state.withLock { $0.current += 1; $0.peak = max($0.peak, $0.current) } }
        func leave() { state.withLock { $0.current -= 1 } }
        var peak: Int { state.withLock { $0.peak } }
    }

    func bus(_ queue: InMemoryTransport, _ configure: (inout MessageRegistry) -> Void) -> MessageBus {
        var registry = MessageRegistry()
        configure(&registry)
        return MessageBus(registry: registry, senders: SendersLocator(routing: ["*": ["q"]], senders: ["q": queue]))
    }

    @Test("--concurrency N runs N handlers at once, never more")
    func runsInParallel() async throws {
        let queue = InMemoryTransport()
        let gauge = Gauge()
        let bus = bus(queue) { registry in
            registry.handle(Notify.self, name: "slow") { _, _ in
                gauge.enter()
                try await Task.sleep(for: .milliseconds(100))
                gauge.leave()
            }
        }
        for index in 0..<12 { try await bus.dispatch(Notify(text: "\(index)")) }
        let worker = Worker(transports: [WorkerTransport(name: "q", transport: queue)], bus: bus,
                            options: WorkerOptions(stopWhenEmpty: true, concurrency: 4))
        _ = await worker.run()
        #expect(gauge.peak == 4)
        #expect(queue.acknowledged.count == 12)
    }

    @Test("a free slot takes new work while a slow handler is still running")
    func freeSlotDoesNotWait() async throws {
        let queue = InMemoryTransport()
        let release = AsyncStream.makeStream(of: Void.self)
        let fastDone = AsyncStream.makeStream(of: String.self)
        let bus = bus(queue) { registry in
            registry.handle(Notify.self, name: "notify") { message, _ in
                if message.text == "slow" {
                    var iterator = release.stream.makeAsyncIterator()
                    await iterator.next()
                } else {
                    fastDone.continuation.yield(message.text)
                }
            }
        }
        try await bus.dispatch(Notify(text: "slow"))
        let worker = Worker(transports: [WorkerTransport(name: "q", transport: queue)], bus: bus,
                            options: WorkerOptions(sleep: .milliseconds(20), concurrency: 2))
        async let reason = worker.run()
        try await bus.dispatch(Notify(text: "fast"))
        var done = fastDone.stream.makeAsyncIterator()
        #expect(await done.next() == "fast")
        release.continuation.yield()
        worker.stop()
        #expect(await reason == .stopRequested)
        #expect(queue.acknowledged.count == 2)
    }

    /// An in-memory transport that announces new messages, like LISTEN/NOTIFY.
    final class NotifyingTransport: Transport, WakeUpSource {
        let base = InMemoryTransport()
        private let handler = Mutex<(@Sendable () -> Void)?>(nil)
        func startWakeUps(_ handler: @escaping @Sendable () -> Void) async { self.handler.withLock { $0 = handler } }
        var idleWaitWhileListening: Duration? { .seconds(3600) }
        func send(_ envelope: Envelope) async throws -> Envelope {
            let sent = try await base.send(envelope)
            handler.withLock { $0 }?()
            return sent
        }
        func get(limit: Int) async throws -> [Envelope] { try await base.get(limit: limit) }
        func ack(_ envelope: Envelope) async throws { try await base.ack(envelope) }
        func reject(_ envelope: Envelope) async throws { try await base.reject(envelope) }
    }

    @Test("an idle worker whose receiver announces new messages starts them at once, not at its next poll")
    func wakeUp() async throws {
        let transport = NotifyingTransport()
        let handled = AsyncStream.makeStream(of: String.self)
        let bus = bus(transport.base) { registry in
            registry.handle(Notify.self, name: "n") { message, _ in handled.continuation.yield(message.text) }
        }
        let worker = Worker(transports: [WorkerTransport(name: "q", transport: transport)], bus: bus, options: WorkerOptions(sleep: .seconds(3600)))
        async let reason = worker.run()
        var iterator = handled.stream.makeAsyncIterator()
        for text in ["first", "second"] {
            _ = try await transport.send(Envelope(Notify(text: text)))
            #expect(await iterator.next() == text)
        }
        worker.stop()
        #expect(await reason == .stopRequested)
    }

    @Test("an idle worker wakes when the next delayed message falls due")
    func wakesWhenDue() async throws {
        let queue = InMemoryTransport()
        let handled = AsyncStream.makeStream(of: String.self)
        let bus = bus(queue) { registry in
            registry.handle(Notify.self, name: "n") { message, _ in handled.continuation.yield(message.text) }
        }
        try await bus.dispatch(Notify(text: "later"), stamps: [DelayStamp(milliseconds: 300)])
        let worker = Worker(transports: [WorkerTransport(name: "q", transport: queue)], bus: bus, options: WorkerOptions(sleep: .seconds(3600)))
        async let reason = worker.run()
        var iterator = handled.stream.makeAsyncIterator()
        #expect(await iterator.next() == "later")
        worker.stop()
        #expect(await reason == .stopRequested)
    }
}
