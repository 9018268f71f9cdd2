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

    /// Every database the transports use answers a primary-key lookup (once per database, no count);
    /// 503 naming the transports of the one that does not (never its DSN).
    func ready() async throws -> Response {
        var (unreachable, checked): ([String], Set<String>) = ([], [])
        for name in kernel.storingTransportNames {
            guard let store = kernel.transports[name] as? any MessageRecordStore, checked.insert(store.recordStoreIdentity).inserted else { continue }
            do { _ = try await store.record(id: "") } catch { unreachable.append(name) }
        }
        if unreachable.isEmpty { return try Responses.json(["status": "ready"]) }
        return try Responses.json(["status": "unavailable", "error": "cannot reach the database of \(unreachable.joined(separator: ", "))"], status: .serviceUnavailable)
    }

    /// The queues, workers and throughput in Prometheus' text format.
    func metrics(queues: [OperationsAPI.QueueView]) async throws -> Response {
        let registry = PrometheusCollectorRegistry()
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = []) -> Gauge {
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "", subsystem: "", metricName: name, unitName: "", helpText: help), labels: labels)
        }
        for queue in queues {
            let labels = [("transport", queue.transport), ("queue", queue.queue ?? queue.transport)]
            if let counts = queue.counts {
                gauge("messenger_queue_waiting_messages", "Messages due and waiting for a worker", labels).set(Double(counts.ready))
                gauge("messenger_queue_delayed_messages", "Messages not due yet (delayed or waiting for a retry)", labels).set(Double(counts.delayed))
                gauge("messenger_queue_running_messages", "Messages claimed by a worker", labels).set(Double(counts.inFlight))
            }
            gauge("messenger_queue_oldest_waiting_seconds", "Age of the oldest stored message", labels).set(queue.oldestWaitingSeconds ?? 0)
            gauge("messenger_queue_paused", "1 when the queue is paused", labels).set(queue.paused ? 1.0 : 0.0)
        }
        let workers = try await monitor.workerRecords(shared: true)
        gauge("messenger_workers_live", "Workers with a recent heartbeat").set(Double(workers.filter { $0.state() == "running" }.count))
        gauge("messenger_worker_handled_messages", "Messages handled by the recorded workers since they started").set(Double(workers.reduce(0) { $0 + $1.handled }))
        gauge("messenger_worker_failed_messages", "Messages that failed in the recorded workers since they started").set(Double(workers.reduce(0) { $0 + $1.failed }))
        let day = try await monitor.throughput(window: 86_400, bucket: 3600)
        gauge("messenger_messages_completed_last_day", "Attempts completed over the last 24 hours (the workers' counts)").set(Double(day.completed))
        gauge("messenger_messages_failed_last_day", "Attempts failed over the last 24 hours (the workers' counts)").set(Double(day.failed))
        return Responses.text(registry.emitToString(), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}
