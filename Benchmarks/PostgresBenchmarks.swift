import Foundation
import Logging
import Messenger
import MessengerPostgres

/// The PostgreSQL transport's figures: dispatch one by one and batched, consume with 1 and 2 worker
/// processes at --concurrency 1 and 16, dispatch-to-handler latency on an idle worker.
enum PostgresBenchmarks {
    /// The claim batch of the consume runs: `BENCH_PG_BATCH`, default 500 (the transport's default prefetch).
    static let batchSize = Int(ProcessInfo.processInfo.environment["BENCH_PG_BATCH"] ?? "") ?? 500

    static func transport(url: String, table: String) throws -> PostgresTransport {
        var options = PostgresTransportOptions()
        options.prefetch = batchSize
        options.tableName = table
        options.queueName = "bench"
        return PostgresTransport(name: "bench", info: try PostgresConnectionInfo(dsn: try DSN(parsing: url)),
                                 options: options, serializer: JSONSerializer(registry: benchmarkRegistry()))
    }

    static func table(_ name: String) -> String { "bench_\(name)_\(getpid())" }

    static func drop(url: String, table: String) async {
        guard let connection = try? PostgresConnection(url: url) else { return }
        try? await connection.execute("DROP TABLE IF EXISTS \(table)")
        await connection.close()
    }

    static func dispatchOneByOne(url: String, count: Int) async throws -> Double {
        let name = table("dispatch")
        let queue = try transport(url: url, table: name)
        try await queue.setup()
        let bus = MessageBus(registry: benchmarkRegistry(), senders: SendersLocator(routing: ["*": ["bench"]], senders: ["bench": queue]))
        let start = ContinuousClock.now
        for id in 0..<count { try await bus.dispatch(BenchmarkMessage(id: id)) }
        let rate = Double(count) / SQLiteBenchmarks.seconds(ContinuousClock.now - start)
        await queue.close()
        await drop(url: url, table: name)
        return rate
    }

    /// `callers` tasks of one process dispatching one message at a time each, through one transport.
    static func dispatchConcurrently(url: String, count: Int, callers: Int) async throws -> Double {
        let name = table("concurrent")
        let queue = try transport(url: url, table: name)
        try await queue.setup()
        let bus = MessageBus(registry: benchmarkRegistry(), senders: SendersLocator(routing: ["*": ["bench"]], senders: ["bench": queue]))
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in 0..<callers {
                group.addTask {
                    for id in stride(from: caller, to: count, by: callers) { try await bus.dispatch(BenchmarkMessage(id: id)) }
                }
            }
            try await group.waitForAll()
        }
        let rate = Double(count) / SQLiteBenchmarks.seconds(ContinuousClock.now - start)
        await queue.close()
        await drop(url: url, table: name)
        return rate
    }

    static func dispatchBatched(url: String, count: Int, batch: Int) async throws -> Double {
        let name = table("batch")
        let queue = try transport(url: url, table: name)
        try await queue.setup()
        let start = ContinuousClock.now
        for first in stride(from: 0, to: count, by: batch) {
            _ = try await queue.send(contentsOf: (first..<min(count, first + batch)).map { Envelope(BenchmarkMessage(id: $0)) })
        }
        let rate = Double(count) / SQLiteBenchmarks.seconds(ContinuousClock.now - start)
        await queue.close()
        await drop(url: url, table: name)
        return rate
    }

    /// The database's own pace for what dispatch asks of it, without the bus or encoding: the same
    /// one-row insert statement (with its NOTIFY trigger) one by one, and 100,000 rows copied into the
    /// table by one server-side INSERT … SELECT (no client, no parameters).
    static func serverReference(url: String, count: Int) async throws -> (oneByOne: Double, serverSide: Double) {
        let name = table("reference")
        let queue = try transport(url: url, table: name)
        try await queue.setup()
        let encoded = try JSONSerializer(registry: benchmarkRegistry()).encode(Envelope(BenchmarkMessage(id: 1)))
        let insert = "INSERT INTO \(name) (body, headers, queue_name, available_at) VALUES ($1, $2, 'bench', now()) RETURNING id"
        var start = ContinuousClock.now
        for _ in 0..<count { try await queue.connection.query(insert, [.text(encoded.body), .text(encoded.headers)]) }
        let oneByOne = Double(count) / SQLiteBenchmarks.seconds(ContinuousClock.now - start)
        try await queue.connection.execute("CREATE TEMPORARY TABLE source AS SELECT body, headers FROM \(name), generate_series(1, \(100_000 / count + 1)) LIMIT 100000")
        start = ContinuousClock.now
        try await queue.connection.execute("INSERT INTO \(name) (body, headers, queue_name, available_at) SELECT body, headers, 'bench', now() FROM source")
        let serverSide = 100_000 / SQLiteBenchmarks.seconds(ContinuousClock.now - start)
        try await queue.connection.execute("DROP TABLE source")
        await queue.close()
        await drop(url: url, table: name)
        return (oneByOne, serverSide)
    }

    /// Fills a table, then starts `workers` processes; wall time from their start to the last exit.
    static func consume(url: String, count: Int, workers: Int, concurrency: Int) async throws -> SQLiteBenchmarks.ConsumeResult {
        let name = table("consume\(workers)x\(concurrency)")
        let queue = try transport(url: url, table: name)
        try await queue.setup()
        for first in stride(from: 0, to: count, by: 5000) {
            _ = try await queue.send(contentsOf: (first..<min(count, first + 5000)).map { Envelope(BenchmarkMessage(id: $0)) })
        }
        try await queue.connection.execute("VACUUM ANALYZE \(name)")
        let start = ContinuousClock.now
        let outputs = try (0..<workers).map { _ in try WorkerChild.start(["pg-worker", url, name, String(concurrency)]) }
        let (report, elapsed, cpu) = WorkerChild.collect(outputs, count: count, start: start)
        let left = try await queue.statistics().total
        await queue.close()
        await drop(url: url, table: name)
        guard left == 0 else { throw MessengerError(.transportFailure, "\(left) messages left unconsumed") }
        return .init(messagesPerSecond: Double(count) / elapsed, peakRSSBytes: report.peakRSSBytes, cpuMicrosecondsPerMessage: cpu)
    }

    /// Latency from `dispatch` returning to the handler starting, on an idle worker woken by NOTIFY.
    static func latency(url: String, count: Int) async throws -> (p50: Double, p99: Double) {
        let name = table("latency")
        let queue = try transport(url: url, table: name)
        try await queue.setup()
        let (process, pipe) = try WorkerChild.start(["pg-latency", url, name, String(count)])
        // Wait until the worker's LISTEN session is up, then send one message at a time, idle between.
        let admin = try PostgresConnection(url: url)
        while try await admin.query("SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN \"\(name)\"'").rows[0][0] == "0" {
            try await Task.sleep(for: .milliseconds(10))
        }
        await admin.close()
        let latency = try await sendOneAtATime(count, to: queue, measuredBy: process, pipe)
        await queue.close()
        await drop(url: url, table: name)
        return latency
    }

    /// Sends `count` latency messages 20 ms apart to an idle worker (`process`), then reads its p50
    /// and p99 in ms once it is done.
    static func sendOneAtATime(_ count: Int, to queue: PostgresTransport, measuredBy process: Process, _ pipe: Pipe) async throws -> (p50: Double, p99: Double) {
        for id in 0..<count {
            _ = try await queue.send(Envelope(LatencyMessage(id: id, sentAt: Date().timeIntervalSince1970)))
            try await Task.sleep(for: .milliseconds(20))
        }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let values = text.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return (values.first ?? .nan, values.last ?? .nan)
    }

    /// Parks `count` undecodable rows with one worker process; messages per second.
    static func park(url: String, count: Int, atomic: Bool) async throws -> Double {
        let name = table("park")
        let queue = try transport(url: url, table: name)
        try await queue.setup()
        try await queue.connection.query("""
            INSERT INTO \(name) (body, headers, queue_name, available_at) SELECT $1, $2, 'bench', now() FROM generate_series(1, $3::int)
            """, [.text(ParkBenchmark.body), .text(ParkBenchmark.goneHeaders), .int(Int64(count))])
        try await queue.connection.execute("VACUUM ANALYZE \(name)")
        let start = ContinuousClock.now
        let child = try WorkerChild.start(["pg-park-worker", url, name, atomic ? "atomic" : "two-step"])
        let (_, elapsed, _) = WorkerChild.collect([child], count: count, start: start)
        let parked = try await failedTransport(url: url, table: name).statistics().total
        await queue.close()
        await drop(url: url, table: name)
        guard parked == count else { throw MessengerError(.transportFailure, "\(parked) of \(count) messages parked") }
        return Double(count) / elapsed
    }

    static func failedTransport(url: String, table: String) throws -> PostgresTransport {
        var options = PostgresTransportOptions()
        options.tableName = table
        options.queueName = "bench_failed"
        return PostgresTransport(name: "failed", info: try PostgresConnectionInfo(dsn: try DSN(parsing: url)), options: options,
                                 serializer: JSONSerializer(registry: benchmarkRegistry()))
    }

    /// The child process of `park`.
    static func runParkWorker(url: String, table: String, atomic: Bool) async throws {
        let queue = try transport(url: url, table: table)
        let failed = try failedTransport(url: url, table: table)
        _ = await ParkBenchmark.worker(receiver: queue, failed: failed, atomic: atomic).run()
        await queue.close()
        await failed.close()
        print(WorkerChild.Report.current.line)
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "benchmark.worker")
        logger.logLevel = .warning
        return logger
    }

    /// Child: drains the table with a no-op handler, then prints its peak RSS and CPU time.
    static func runWorker(url: String, table: String, concurrency: Int) async throws {
        let queue = try transport(url: url, table: table)
        let bus = MessageBus(registry: benchmarkRegistry(), senders: SendersLocator(routing: [:], senders: [:]))
        let worker = Worker(transports: [WorkerTransport(name: "bench", transport: queue)], bus: bus,
                            options: WorkerOptions(sleep: .milliseconds(10), stopWhenEmpty: true, maxBatchSize: batchSize, concurrency: concurrency), logger: quietLogger)
        _ = await worker.run()
        await queue.close()
        print(WorkerChild.Report.current.line)
    }

    /// Child: an idle worker that records how long each message took to reach its handler; prints
    /// p50 and p99 in ms. `configure` sets its transport's options beyond table and queue.
    static func runLatencyWorker(url: String, table: String, count: Int, configure: (inout PostgresTransportOptions) -> Void = { _ in }) async throws {
        var options = PostgresTransportOptions()
        options.tableName = table
        options.queueName = "bench"
        configure(&options)
        var registry = MessageRegistry()
        let samples = LatencySamples()
        registry.handle(LatencyMessage.self, name: "latency") { message, _ in samples.add(Date().timeIntervalSince1970 - message.sentAt) }
        let queue = PostgresTransport(name: "bench", info: try PostgresConnectionInfo(dsn: try DSN(parsing: url)), options: options, serializer: JSONSerializer(registry: registry))
        let bus = MessageBus(registry: registry, senders: SendersLocator(routing: [:], senders: [:]))
        let worker = Worker(transports: [WorkerTransport(name: "bench", transport: queue)], bus: bus,
                            options: WorkerOptions(limit: count, sleep: .seconds(1)), logger: quietLogger)
        _ = await worker.run()
        await queue.close()
        let sorted = samples.all.sorted()
        func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000 }
        print(String(format: "%.3f %.3f", percentile(0.5), percentile(0.99)))
    }
}

struct LatencyMessage: Message {
    static let messageName = "Benchmark.Latency"
    var id: Int
    var sentAt: Double
}

import Synchronization

final class LatencySamples: Sendable {
    private let values = Mutex<[Double]>([])
    func add(_ value: Double) { values.withLock { $0.append(value) } }
    var all: [Double] { values.withLock { $0 } }
}
