import Foundation
import Logging
import Messenger
import Synchronization
import Testing

@Suite("Worker logging")
struct WorkerLoggingTests {
    /// Keeps every line written through it, with its metadata (the logger's and the line's).
    final class CapturedLines: Sendable {
        struct Line: Sendable {
            let level: Logger.Level
            let text: String
            let metadata: [String: String]
        }

        private let lines = Mutex<[Line]>([])
        var all: [Line] { lines.withLock { $0 } }
        func add(_ line: Line) { lines.withLock { $0.append(line) } }

        func logger() -> Logger {
            Logger(label: "test") { _ in Handler(sink: self) }
        }

        struct Handler: LogHandler {
            let sink: CapturedLines
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .trace
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }

            func log(event: LogEvent) {
                let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
                sink.add(Line(level: event.level, text: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
            }
        }
    }

    @Test("the worker's lines and the handler's logger carry the transport, message type and id")
    func metadata() async throws {
        let lines = CapturedLines()
        let attempts = Mutex(0)
        var registry = MessageRegistry()
        registry.handle(Greet.self, name: "greeter") { message, context in
            context.logger.notice("Greeting \(message.name)")
            if attempts.withLock({ $0 += 1; return $0 }) == 1 { throw RecoverableMessageError("not yet") }
        }
        let queue = InMemoryTransport()
        let bus = MessageBus(middleware: [
            SendMessageMiddleware(senders: SendersLocator(routing: ["*": ["async"]], senders: ["async": queue])),
            HandleMessageMiddleware(registry: registry, logger: lines.logger()),
        ])
        let sent = try await bus.dispatch(Greet(name: "Ada"))
        let id = try #require(sent.last(TransportMessageIdStamp.self)?.id)
        let worker = Worker(transports: [WorkerTransport(name: "async", transport: queue,
                                                         retryStrategy: MultiplierRetryStrategy(maxRetries: 2, delayMilliseconds: 0, jitter: 0))],
                            bus: bus, options: WorkerOptions(stopWhenEmpty: true), logger: lines.logger())
        #expect(await worker.run() == .empty)

        let received = lines.all.filter { $0.text == "Received message Test.Greet" }
        #expect(received.count == 2)
        #expect(received.first?.metadata == ["transport": "async", "message.type": "Test.Greet", "message.id": id])
        let retry = try #require(lines.all.first { $0.level == .warning && $0.text.contains("retry 1") })
        #expect(retry.metadata["message.id"] == id)
        #expect(retry.metadata["transport"] == "async")
        let greetings = lines.all.filter { $0.text == "Greeting Ada" }
        #expect(greetings.count == 2)
        #expect(greetings.first?.metadata["message.type"] == "Test.Greet")
        #expect(greetings.first?.metadata["message.id"] == id)
        #expect(lines.all.contains { $0.text.hasPrefix("Message Test.Greet handled in") })
    }

    @Test("many messages failing the same way: per batch, the first is logged in full and the others summed up in one line")
    func failureDigest() async throws {
        let lines = CapturedLines()
        let recorder = Recorder()
        let queue = InMemoryTransport()
        let failed = InMemoryTransport()
        let bus = MessageBus(registry: registry(recorder), senders: SendersLocator(routing: ["*": ["async"]], senders: ["async": queue]))
        for _ in 0..<200 { try await bus.dispatch(Flaky(failTimes: 1, kind: .unrecoverable)) }
        try await bus.dispatch(Greet(name: "fine"))
        // One batch of everything, whatever the worker's sizing.
        let receiver = WholeQueueReceiver(base: queue)
        let worker = Worker(transports: [WorkerTransport(name: "async", receiver: receiver, retrySender: queue, retryStrategy: MultiplierRetryStrategy(),
                                                         failureDestination: .init(name: "failed", sender: failed))],
                            bus: bus, options: WorkerOptions(stopWhenEmpty: true), logger: lines.logger())
        #expect(await worker.run() == .empty)
        #expect(try await failed.statistics().total == 200)
        let full = lines.all.filter { $0.level == .error && $0.text.hasPrefix("Message parked in failure transport failed") }
        let summaries = lines.all.filter { $0.text.contains("more Test.Flaky message(s) failed the same way") }
        #expect(full.count == 1)
        #expect(summaries.count == 1)
        #expect(summaries.first?.text.hasPrefix("199 more Test.Flaky message(s) failed the same way") == true)
        #expect(summaries.first?.text.hasSuffix("(ids 2 to 200)") == true)
        #expect(summaries.allSatisfy { $0.level == .error && $0.text.contains("UnrecoverableMessageError)") && $0.text.contains("were parked in failed") })
        #expect(summaries.allSatisfy { $0.metadata["transport"] == "async" })
        // Each one is still there at debug level, with its id.
        #expect(lines.all.filter { $0.level == .debug && $0.text.hasPrefix("Message parked in failure transport failed") }.count == 200 - full.count)
        #expect(recorder.all.last == "greet fine")
    }

    @Test("a message whose claim the receiver says was lost is not started")
    func lostClaimNotStarted() async throws {
        let lines = CapturedLines()
        let recorder = Recorder()
        let queue = InMemoryTransport()
        let bus = MessageBus(registry: registry(recorder), senders: SendersLocator(routing: ["*": ["async"]], senders: ["async": queue]))
        for name in ["a", "b", "c"] { try await bus.dispatch(Greet(name: name)) }
        let receiver = LosingReceiver(base: queue, lostName: "b")
        let worker = Worker(transports: [WorkerTransport(name: "async", receiver: receiver, retrySender: queue, retryStrategy: MultiplierRetryStrategy(), failureDestination: nil)],
                            bus: bus, options: WorkerOptions(stopWhenEmpty: true, maxBatchSize: 3, concurrency: 3), logger: lines.logger())
        #expect(await worker.run() == .empty)
        #expect(Set(recorder.all) == ["greet a", "greet c"])
        #expect(lines.all.contains { $0.level == .warning && $0.text.contains("another worker took it while this one's connection was down") })
    }

    /// Hands out every due message at once.
    struct WholeQueueReceiver: Receiver {
        let base: InMemoryTransport
        func get(limit: Int) async throws -> [Envelope] { try await base.get(limit: 10_000) }
        func ack(_ envelope: Envelope) async throws { try await base.ack(envelope) }
        func reject(_ envelope: Envelope) async throws { try await base.reject(envelope) }
    }

    /// Says the claim on the message named `lostName` was lost.
    struct LosingReceiver: Receiver {
        let base: InMemoryTransport
        let lostName: String
        func get(limit: Int) async throws -> [Envelope] { try await base.get(limit: limit) }
        func ack(_ envelope: Envelope) async throws { try await base.ack(envelope) }
        func reject(_ envelope: Envelope) async throws { try await base.reject(envelope) }
        func isClaimLost(_ envelope: Envelope) -> Bool { (envelope.message as? Greet)?.name == lostName }
    }
}
