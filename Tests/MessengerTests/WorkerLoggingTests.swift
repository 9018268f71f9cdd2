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
}
