import CoreMetrics
import Foundation
import Messenger
import MessengerTestSupport
import MetricsTestKit
import Testing

@Suite("Worker metrics (swift-metrics)")
struct WorkerMetricsTests {
    @Test("after a known run: sent, handled by outcome, failures by error type, durations, waits and in-flight, labelled by transport and type")
    func knownRun() async throws {
        let metrics = TestTelemetry.metrics
        let name = "metrics-\(UUID().uuidString.prefix(8))"
        let (queue, failed, recorder) = (InMemoryTransport(), InMemoryTransport(), Recorder())
        let bus = MessageBus(registry: registry(recorder), senders: SendersLocator(routing: ["*": [name]], senders: [name: queue]))
        for person in ["a", "b", "c"] { try await bus.dispatch(Greet(name: person)) }
        try await bus.dispatch(Flaky(failTimes: 1))
        try await bus.dispatch(Flaky(failTimes: 5))
        let transport = WorkerTransport(
            name: name, transport: queue, retryStrategy: MultiplierRetryStrategy(maxRetries: 1, delayMilliseconds: 0, jitter: 0),
            failureDestination: .init(name: "failed", sender: failed)
        )
        #expect(await Worker(transports: [transport], bus: bus, options: WorkerOptions(stopWhenEmpty: true)).run() == .empty)

        func labels(_ type: String, _ more: [(String, String)] = []) -> [(String, String)] { [("transport", name), ("message_type", type)] + more }
        #expect(metrics.counterTotal(label: MessengerMetrics.messagesSent, dimensions: labels("Test.Greet")) == 3)
        #expect(metrics.counterTotal(label: MessengerMetrics.messagesSent, dimensions: labels("Test.Flaky")) == 2, "retries are not dispatches")
        func handled(_ type: String, _ outcome: HandlingOutcome) -> Int64 {
            metrics.counterTotal(label: MessengerMetrics.messagesHandled, dimensions: labels(type, [("outcome", outcome.rawValue)]))
        }
        #expect(handled("Test.Greet", .completed) == 3)
        #expect(handled("Test.Greet", .retried) == 0)
        #expect(handled("Test.Flaky", .retried) == 2)
        #expect(handled("Test.Flaky", .completed) == 1)
        #expect(handled("Test.Flaky", .parked) == 1)

        let parked = try #require(try await failed.list(limit: 10).first)
        let errorType = try #require(parked.last(ErrorDetailsStamp.self)?.errorType)
        let failures = metrics.counters(label: MessengerMetrics.messageFailures).filter { $0.dimensions.contains { $0 == ("transport", name) } }
        #expect(failures.count == 1, "one series: one transport, one type, one error type")
        #expect(failures.first?.dimensions.first { $0.0 == "error_type" }?.1 == errorType)
        #expect(failures.first?.totalValue == 3)

        let durations = metrics.timers(label: MessengerMetrics.handlingDuration).filter { $0.dimensions.contains { $0 == ("transport", name) } }
        #expect(durations.map(\.values.count).reduce(0, +) == 7, "one per attempt: 3 greetings, 2 + 2 flaky attempts")
        #expect(durations.allSatisfy { $0.values.allSatisfy { $0 >= 0 } })
        let waits = metrics.timers(label: MessengerMetrics.waitDuration).filter { $0.dimensions.contains { $0 == ("transport", name) } }
        #expect(waits.map(\.values.count).reduce(0, +) == 7)
        #expect(waits.flatMap(\.values).allSatisfy { $0 >= 0 && $0 < 60_000_000_000 })

        let inFlight = try metrics.expectMeter(MessengerMetrics.messagesInFlight, [("transport", name)])
        #expect(inFlight.lastValue == 0, "every increment was matched")
        #expect(inFlight.values.max() == 1, "one at a time at concurrency 1")
        #expect(metrics.counters.allSatisfy { counter in !counter.dimensions.contains { $0.0.contains("id") } }, "no id label")
    }

    @Test("a message due later waits from its due time, not from its dispatch")
    func waitFromDueTime() async throws {
        let metrics = TestTelemetry.metrics
        let name = "metrics-\(UUID().uuidString.prefix(8))"
        let (queue, recorder) = (InMemoryTransport(), Recorder())
        let bus = MessageBus(registry: registry(recorder), senders: SendersLocator(routing: ["*": [name]], senders: [name: queue]))
        try await bus.dispatch(Greet(name: "later"), stamps: [DelayStamp(milliseconds: 300)])
        let dispatched = ContinuousClock.now
        let transport = WorkerTransport(name: name, transport: queue)
        let worker = Worker(transports: [transport], bus: bus, options: WorkerOptions(limit: 1, sleep: .milliseconds(10)))
        #expect(await worker.run() == .messageLimit)
        let elapsed = ContinuousClock.now - dispatched
        let wait = try #require(metrics.timers(label: MessengerMetrics.waitDuration).first { $0.dimensions.contains { $0 == ("transport", name) } }?.values.first)
        #expect(elapsed >= .milliseconds(300))
        #expect(Duration.nanoseconds(wait) < elapsed - .milliseconds(250), "waited \(wait) ns of \(elapsed): the delay is not waiting")
    }
}
