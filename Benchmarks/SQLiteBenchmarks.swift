import Foundation
import Logging
import Messenger
import MessengerSQLite

/// The SQLite transport's figures: dispatch one by one, consume with 1 and 2 worker processes.
enum SQLiteBenchmarks {
    static func transport(path: String, synchronous: String) -> SQLiteTransport {
        var options = SQLiteTransportOptions()
        options.synchronous = synchronous
        options.queueName = "bench"
        return SQLiteTransport(name: "bench", connection: SQLiteConnection(path: path, synchronous: synchronous), options: options,
                               serializer: JSONSerializer(registry: benchmarkRegistry()))
    }

    /// Messages per second of `bus.dispatch` into the SQLite table, one message per transaction.
    static func dispatch(count: Int, synchronous: String, directory: String) async throws -> Double {
        let path = "\(directory)/dispatch-\(synchronous).sqlite"
        let queue = transport(path: path, synchronous: synchronous)
        try await queue.setup()
        let bus = MessageBus(registry: benchmarkRegistry(), senders: SendersLocator(routing: ["*": ["bench"]], senders: ["bench": queue]))
        let start = ContinuousClock.now
        for id in 0..<count { try await bus.dispatch(BenchmarkMessage(id: id)) }
        return Double(count) / seconds(ContinuousClock.now - start)
    }

    /// Fills a table with `count` messages in one transaction.
    static func fill(path: String, count: Int) async throws {
        let queue = transport(path: path, synchronous: "FULL")
        try await queue.setup()
        let serializer = JSONSerializer(registry: benchmarkRegistry())
        let rows = try (0..<count).map { try serializer.encode(Envelope(BenchmarkMessage(id: $0))) }
        try await queue.connection.transaction { connection in
            for row in rows {
                try connection.query(
                    "INSERT INTO messenger_messages (body, headers, queue_name, created_at, available_at) VALUES (?1, ?2, 'bench', 0, 0)",
                    [.text(row.body), .text(row.headers)])
            }
        }
    }

    struct ConsumeResult {
        let messagesPerSecond: Double
        let peakRSSBytes: Int
        /// CPU time (user + system) the worker processes spent per message, in microseconds.
        let cpuMicrosecondsPerMessage: Double
    }

    /// Starts `workers` processes draining a table of `count` messages; wall time from start to the last exit.
    static func consume(count: Int, workers: Int, directory: String) async throws -> ConsumeResult {
        let path = "\(directory)/consume-\(workers).sqlite"
        try await fill(path: path, count: count)
        let start = ContinuousClock.now
        let processes = try (0..<workers).map { _ in try WorkerChild.start(["worker", path]) }
        let (report, elapsed, cpu) = WorkerChild.collect(processes, count: count, start: start)
        let left = try await transport(path: path, synchronous: "FULL").statistics().total
        guard left == 0 else { throw MessengerError(.transportFailure, "\(left) messages left unconsumed") }
        return ConsumeResult(messagesPerSecond: Double(count) / elapsed, peakRSSBytes: report.peakRSSBytes, cpuMicrosecondsPerMessage: cpu)
    }

    /// The child process: drains the table with a no-op handler, then prints its peak RSS and CPU time.
    static func runWorker(path: String) async throws {
        let queue = transport(path: path, synchronous: "FULL")
        let bus = MessageBus(registry: benchmarkRegistry(), senders: SendersLocator(routing: [:], senders: [:]))
        var logger = Logger(label: "benchmark.worker")
        logger.logLevel = .warning
        let worker = Worker(transports: [WorkerTransport(name: "bench", transport: queue)], bus: bus,
                            options: WorkerOptions(sleep: .milliseconds(10), stopWhenEmpty: true), logger: logger)
        _ = await worker.run()
        print(WorkerChild.Report.current.line)
    }

    /// Parks `count` undecodable rows with one worker process; messages per second.
    static func park(count: Int, atomic: Bool, directory: String) async throws -> Double {
        let path = "\(directory)/park-\(atomic).sqlite"
        let queue = transport(path: path, synchronous: "FULL")
        try await queue.setup()
        try await queue.connection.transaction { connection in
            for _ in 0..<count {
                try connection.query(
                    "INSERT INTO messenger_messages (body, headers, queue_name, created_at, available_at) VALUES (?1, ?2, 'bench', 0, 0)",
                    [.text(ParkBenchmark.body), .text(ParkBenchmark.goneHeaders)])
            }
        }
        let start = ContinuousClock.now
        let child = try WorkerChild.start(["park-worker", path, atomic ? "atomic" : "two-step"])
        let (_, elapsed, _) = WorkerChild.collect([child], count: count, start: start)
        let parked = try await failedTransport(path: path).statistics().total
        guard parked == count else { throw MessengerError(.transportFailure, "\(parked) of \(count) messages parked") }
        return Double(count) / elapsed
    }

    static func failedTransport(path: String) -> SQLiteTransport {
        var options = SQLiteTransportOptions()
        options.queueName = "bench_failed"
        return SQLiteTransport(name: "failed", connection: SQLiteConnection(path: path), options: options, serializer: JSONSerializer(registry: benchmarkRegistry()))
    }

    /// The child process of `park`.
    static func runParkWorker(path: String, atomic: Bool) async throws {
        _ = await ParkBenchmark.worker(receiver: transport(path: path, synchronous: "FULL"), failed: failedTransport(path: path), atomic: atomic).run()
        print(WorkerChild.Report.current.line)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

}
