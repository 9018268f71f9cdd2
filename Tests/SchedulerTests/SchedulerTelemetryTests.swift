import Foundation
import InMemoryTracing
import Logging
import Messenger
import MessengerTestSupport
import MetricsTestKit
import Scheduler
import Testing
import Tracing

@Suite("Scheduler metrics and traces")
struct SchedulerTelemetryTests {
    struct Tick: Message {
        static let messageName = "Test.TelemetryTick"
        var label: String
    }

    let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
    let transport = InMemoryTransport()

    func receiver(_ schedule: Schedule) throws -> ScheduleReceiver {
        var registry = MessageRegistry()
        registry.handle(Tick.self, name: "tick") { _, _ in }
        let senders = SendersLocator(routing: ["Test.TelemetryTick": ["async"]], senders: ["async": transport])
        return try ScheduleReceiver(schedule: schedule, ledger: InMemoryOccurrenceLedger(), bus: MessageBus(registry: registry, senders: senders),
                                    senders: senders, clock: ManualSchedulerClock(clock), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
    }

    @Test("runs, their lag and the missed occurrences are counted per schedule and task; each emission starts a trace that its message carries")
    func runsLagMissed() async throws {
        let (metrics, tracer) = (TestTelemetry.metrics, TestTelemetry.tracer)
        let name = "telemetry-\(UUID().uuidString.prefix(8))"
        let receiver = try receiver(try Schedule(name: name, [try .every("1 minute", Tick(label: "minute"), name: "minute")]))
        var summaries = [try await receiver.tick()]
        clock.advance(by: 61)
        summaries.append(try await receiver.tick())
        clock.advance(by: 330)
        summaries.append(try await receiver.tick())
        let (emitted, skipped) = (summaries.map(\.emitted).reduce(0, +), summaries.map(\.skipped).reduce(0, +))
        #expect(emitted == 2 && skipped == 4, "one on time, then the last of five missed ones")

        let task = [("schedule", name), ("task", "minute")]
        #expect(metrics.counterTotal(label: MessengerMetrics.schedulerRuns, dimensions: task + [("message_type", "Test.TelemetryTick")]) == 2)
        #expect(metrics.counterTotal(label: MessengerMetrics.schedulerMissedRuns, dimensions: task) == 4)
        let lags = try metrics.expectTimer(MessengerMetrics.schedulerRunLag, task).values
        #expect(lags.count == 2)
        #expect(lags.first == 1_000_000_000, "emitted 1 s after its minute")

        let stored = try await transport.list(limit: 10)
        #expect(stored.count == 2)
        for message in stored {
            let trace = try #require(message.last(TraceContextStamp.self)?.fields[InMemoryTracer.traceIDKey])
            let spans = tracer.finishedSpans.filter { $0.traceID == trace }
            let emit = try #require(spans.first { $0.operationName == "emit \(name)/minute" })
            #expect(emit.parentSpanID == nil, "the emission starts the trace")
            #expect(emit.kind == .producer)
            #expect(spans.first { $0.operationName == "send async" }?.parentSpanID == emit.spanID)
        }
    }
}
