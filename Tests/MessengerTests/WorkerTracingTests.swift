import Foundation
import InMemoryTracing
import Messenger
import MessengerTestSupport
import Testing
import Tracing

@Suite("Worker tracing (swift-distributed-tracing)")
struct WorkerTracingTests {
    @Test("a dispatch inside a request's span: a send span (PRODUCER) under it, a process span (CONSUMER) per attempt in the same trace, child of and linked to the send")
    func sendAndProcess() async throws {
        let tracer = TestTelemetry.tracer
        let name = "traced-\(UUID().uuidString.prefix(8))"
        let (queue, failed, recorder) = (InMemoryTransport(), InMemoryTransport(), Recorder())
        let bus = MessageBus(registry: registry(recorder), senders: SendersLocator(routing: ["*": [name]], senders: [name: queue]))
        let (request, sent) = try await withSpan("POST /students", ofKind: .server) { span in
            (span.context.inMemorySpanContext, try await bus.dispatch(Flaky(failTimes: 1)))
        }
        let carried = try #require(sent.last(TraceContextStamp.self), "the stored message carries the send span's context")
        #expect(carried.fields[InMemoryTracer.traceIDKey] == request?.traceID)
        let transport = WorkerTransport(
            name: name, transport: queue, retryStrategy: MultiplierRetryStrategy(maxRetries: 1, delayMilliseconds: 0, jitter: 0),
            failureDestination: .init(name: "failed", sender: failed)
        )
        // The worker starts with no span of its own: the context comes from the message alone.
        #expect(ServiceContext.current?.inMemorySpanContext == nil)
        #expect(await Worker(transports: [transport], bus: bus, options: WorkerOptions(stopWhenEmpty: true)).run() == .empty)

        let spans = tracer.finishedSpans.filter { $0.traceID == request?.traceID }
        let send = try #require(spans.first { $0.operationName == "send \(name)" })
        #expect(send.kind == .producer)
        #expect(send.parentSpanID == request?.spanID)
        #expect(carried.fields[InMemoryTracer.spanIDKey] == send.spanID)
        #expect(send.attributes["messaging.destination.name"]?.toSpanAttribute() == .string(name))
        #expect(send.attributes["messaging.message.id"]?.toSpanAttribute() == sent.messageId.map { .string($0) })
        #expect(send.attributes["messaging.system"]?.toSpanAttribute() == .string("messenger"))

        let processes = spans.filter { $0.operationName == "process \(name)" }
            .sorted { ($0.attributes["messenger.attempt"]?.toSpanAttribute() == .int64(1)) && !($1.attributes["messenger.attempt"]?.toSpanAttribute() == .int64(1)) }
        #expect(processes.count == 2, "one per attempt")
        for process in processes {
            #expect(process.kind == .consumer)
            #expect(process.parentSpanID == send.spanID)
            #expect(process.links.contains { $0.context.inMemorySpanContext?.spanID == send.spanID })
            #expect(process.attributes["messaging.message.id"]?.toSpanAttribute() == sent.messageId.map { .string($0) })
            #expect(process.attributes["messaging.operation.type"]?.toSpanAttribute() == .string("process"))
        }
        #expect(processes.map { $0.attributes["messenger.attempt"]?.toSpanAttribute() } == [.int64(1), .int64(2)])
        #expect(processes.map { $0.attributes["messenger.outcome"]?.toSpanAttribute() } == [.string("retried"), .string("completed")])
        #expect(processes[0].status?.code == .error && processes[0].errors.count == 1)
        #expect(processes[1].status == nil && processes[1].errors.isEmpty)
    }

    @Test("a handler's own dispatch continues the trace of the message it handles")
    func handlerDispatchJoinsTrace() async throws {
        let tracer = TestTelemetry.tracer
        let name = "traced-\(UUID().uuidString.prefix(8))"
        let (queue, recorder) = (InMemoryTransport(), Recorder())
        var handlers = registry(recorder)
        handlers.handle(Notify.self, name: "relay") { message, context in
            if message.text == "first" { try await context.bus.dispatch(Notify(text: "second")) }
        }
        let bus = MessageBus(registry: handlers, senders: SendersLocator(routing: ["*": [name]], senders: [name: queue]))
        let first = try await bus.dispatch(Notify(text: "first"))
        #expect(await Worker(transports: [WorkerTransport(name: name, transport: queue)], bus: bus, options: WorkerOptions(stopWhenEmpty: true)).run() == .empty)
        let trace = try #require(first.last(TraceContextStamp.self)?.fields[InMemoryTracer.traceIDKey])
        let spans = tracer.finishedSpans.filter { $0.traceID == trace }
        #expect(spans.filter { $0.operationName == "send \(name)" }.count == 2)
        #expect(spans.filter { $0.operationName == "process \(name)" }.count == 2)
    }
}
