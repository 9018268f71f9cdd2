import Foundation
import Logging
import Messenger
import ServiceLifecycle
import Synchronization
import Testing

@Suite("WorkerService in a ServiceGroup", .timeLimit(.minutes(1)))
struct WorkerServiceTests {
    /// A log handler that hands every message to a stream, so that a test can wait for a line.
    struct StreamLogHandler: LogHandler {
        let lines: AsyncStream<String>.Continuation
        var logLevel: Logger.Level = .info
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { lines.yield("\(event.message)") }
    }

    /// A worker over one queue whose "slow" message waits to be released (saying when it started,
    /// and whether it saw a cancellation); the others are recorded.
    struct Setup {
        let queue = InMemoryTransport()
        let recorder = Recorder()
        let started = AsyncStream.makeStream(of: Void.self)
        let release = AsyncStream.makeStream(of: Void.self)
        let lines = AsyncStream.makeStream(of: String.self)
        let bus: MessageBus

        init() {
            var registry = MessageRegistry()
            let (recorder, started, release) = (recorder, started.continuation, release.stream)
            registry.handle(Notify.self, name: "notify") { message, _ in
                if message.text == "slow" {
                    started.yield()
                    var iterator = release.makeAsyncIterator()
                    await iterator.next()
                    recorder.record(Task.isCancelled ? "slow cancelled" : "slow finished")
                } else {
                    recorder.record(message.text)
                }
            }
            bus = MessageBus(registry: registry, senders: SendersLocator(routing: ["*": ["q"]], senders: ["q": queue]))
        }

        func group() -> ServiceGroup {
            let logger = Logger(label: "worker") { [lines] _ in StreamLogHandler(lines: lines.continuation) }
            let service = WorkerService(transports: [WorkerTransport(name: "q", transport: queue)], bus: bus,
                                        options: WorkerOptions(sleep: .milliseconds(20)), logger: logger)
            return ServiceGroup(services: [service], logger: Logger(label: "group") { _ in SwiftLogNoOpLogHandler() })
        }

        /// Waits for the slow message to start, stops the group with `stop`, waits for the worker to
        /// say it is stopping, then lets the slow message finish.
        func stopDuringSlowMessage(_ stop: () async -> Void) async {
            var started = started.stream.makeAsyncIterator()
            await started.next()
            await stop()
            for await line in lines.stream where line.hasPrefix("Shutting down") { break }
            release.continuation.yield()
        }
    }

    @Test("a graceful shutdown of the group: the message in hand finishes and is acknowledged, the next one is given back, the group returns")
    func gracefulShutdown() async throws {
        let setup = Setup()
        try await setup.bus.dispatch(Notify(text: "slow"))
        try await setup.bus.dispatch(Notify(text: "next"))
        let group = setup.group()
        async let running: Void = group.run()
        await setup.stopDuringSlowMessage { await group.triggerGracefulShutdown() }
        try await running
        #expect(setup.recorder.all == ["slow finished"])
        #expect(setup.queue.acknowledged.count == 1)
        let left = try await setup.queue.statistics()
        #expect((left.total, left.inFlight) == (1, 0), "the next message waits, unclaimed")
    }

    @Test("the group's cancellation stops the worker the same way: the handler in progress is not cancelled")
    func cancellationStopsGracefully() async throws {
        let setup = Setup()
        try await setup.bus.dispatch(Notify(text: "slow"))
        let group = setup.group()
        let running = Task { try await group.run() }
        await setup.stopDuringSlowMessage { running.cancel() }
        _ = await running.result
        #expect(setup.recorder.all == ["slow finished"])
        #expect(setup.queue.acknowledged.count == 1)
    }

    @Test("a worker that stops by itself (its message limit) ends its service, and the group with it when configured so")
    func workerStopsByItself() async throws {
        let (queue, recorder) = (InMemoryTransport(), Recorder())
        let bus = MessageBus(registry: registry(recorder), senders: SendersLocator(routing: ["*": ["q"]], senders: ["q": queue]))
        try await bus.dispatch(Greet(name: "once"))
        let service = WorkerService(transports: [WorkerTransport(name: "q", transport: queue)], bus: bus, options: WorkerOptions(limit: 1))
        let configuration = ServiceGroupConfiguration(services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
                                                      logger: Logger(label: "group") { _ in SwiftLogNoOpLogHandler() })
        try await ServiceGroup(configuration: configuration).run()
        #expect(recorder.all == ["greet once"])
    }
}
