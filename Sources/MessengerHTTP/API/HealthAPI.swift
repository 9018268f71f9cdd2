import Foundation
import Hummingbird
import Messenger
import MessengerConsole
import Prometheus

/// `/healthz`, `/readyz` and `/metrics`.
struct HealthAPI: Sendable {
    let monitor: MessengerMonitor
    var kernel: MessengerKernel { monitor.kernel }

    /// The process is up.
    func health() throws -> Response { try Responses.json(["status": "ok"]) }

    /// Every database the transports use answers; 503 naming the transport that does not (never
    /// its DSN).
    func ready() async throws -> Response {
        var unreachable: [String] = []
        for name in kernel.storingTransportNames {
            guard let counting = kernel.transports[name] as? any MessageCountingTransport else { continue }
            do { _ = try await counting.statistics() } catch { unreachable.append(name) }
        }
        if unreachable.isEmpty { return try Responses.json(["status": "ready"]) }
        return try Responses.json(["status": "unavailable", "error": "cannot reach the database of \(unreachable.joined(separator: ", "))"], status: .serviceUnavailable)
    }

    /// The queues, workers and throughput in Prometheus' text format.
    func metrics(queues: [OperationsAPI.QueueView]) async throws -> Response {
        let registry = PrometheusCollectorRegistry()
        for queue in queues {
            let labels = [("transport", queue.transport), ("queue", queue.queue ?? queue.transport)]
            if let counts = queue.counts {
                registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "", subsystem: "", metricName: "messenger_queue_waiting_messages", unitName: "", helpText: "Messages due and waiting for a worker"), labels: labels).set(Double(counts.ready))
                registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "", subsystem: "", metricName: "messenger_queue_delayed_messages", unitName: "", helpText: "Messages not due yet (delayed or waiting for a retry)"), labels: labels).set(Double(counts.delayed))
                registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "", subsystem: "", metricName: "messenger_queue_running_messages", unitName: "", helpText: "Messages claimed by a worker"), labels: labels).set(Double(counts.inFlight))
            }
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "", subsystem: "", metricName: "messenger_queue_oldest_waiting_seconds", unitName: "", helpText: "Age of the oldest stored message"), labels: labels)
                .set(queue.oldestWaitingSeconds ?? 0)
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "", subsystem: "", metricName: "messenger_queue_paused", unitName: "", helpText: "1 when the queue is paused"), labels: labels).set(queue.paused ? 1.0 : 0.0)
        }
        let workers = try await monitor.workers()
        registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "", subsystem: "", metricName: "messenger_workers_live", unitName: "", helpText: "Workers with a recent heartbeat")).set(Double(workers.filter { $0.state == "running" }.count))
        let totals = workers.reduce((0, 0)) { ($0.0 + $1.worker.handled, $0.1 + $1.worker.failed) }
        registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "", subsystem: "", metricName: "messenger_worker_handled_messages", unitName: "", helpText: "Messages handled by the recorded workers since they started")).set(Double(totals.0))
        registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "", subsystem: "", metricName: "messenger_worker_failed_messages", unitName: "", helpText: "Messages that failed in the recorded workers since they started")).set(Double(totals.1))
        let day = try await monitor.throughput.report(window: 86_400, bucket: 3600)
        registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "", subsystem: "", metricName: "messenger_messages_completed_last_day", unitName: "", helpText: "Messages completed over the last 24 hours (status records)")).set(Double(day.completed))
        registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "", subsystem: "", metricName: "messenger_messages_failed_last_day", unitName: "", helpText: "Messages failed over the last 24 hours (status records)")).set(Double(day.failed))
        return Responses.text(registry.emitToString(), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}
