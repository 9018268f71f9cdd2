import Foundation
import Messenger
import MessengerPostgres
import Synchronization

/// The PostgreSQL transport behind PgBouncer in transaction mode: one worker through it against the
/// same worker connected directly (alternated rounds), the wake-up latency of an idle worker with
/// LISTEN, with LISTEN on a direct `listen_dsn`, and polling; and hundreds of worker processes on a
/// server whose `max_connections` is far below their number.
enum PoolerBenchmarks {
    /// How a benchmark worker reaches the server.
    enum Route: String {
        case direct
        /// Through PgBouncer, `pooler=transaction`, waking by polling.
        case pooled
        /// Through PgBouncer, LISTEN on the server itself (`listen_dsn`).
        case pooledListening = "pooled-listen"
    }

    static func transport(url: String, table: String, route: Route, listenURL: String? = nil, prefetch: Int = PostgresBenchmarks.batchSize) throws -> PostgresTransport {
        var options = PostgresTransportOptions()
        options.prefetch = prefetch
        options.tableName = table
        options.queueName = "bench"
        if route != .direct { options.pooler = .transaction }
        if route == .pooledListening { options.listenDSN = listenURL }
        return PostgresTransport(name: "bench", info: try PostgresConnectionInfo(dsn: try DSN(parsing: url)), options: options,
                                 serializer: JSONSerializer(registry: benchmarkRegistry()))
    }

    static func section(url: String, pooledURL: String, small: (url: String, pooledURL: String)?, rounds: Int = 3, count: Int = 100_000,
                        onlyManyWorkers: Bool = false) async throws {
        var table = BenchmarkTable()
        for concurrency in [1, 16] where !onlyManyWorkers {
            var rates: [Route: [Double]] = [:]
            for _ in 0..<rounds {
                for route in [Route.direct, .pooled] {
                    rates[route, default: []].append(try await consume(fillURL: url, workerURL: route == .direct ? url : pooledURL, route: route,
                                                                       count: count, workers: 1, concurrency: concurrency).messagesPerSecond)
                }
            }
            let direct = median(rates[.direct] ?? []), pooled = median(rates[.pooled] ?? [])
            table.add("consume, 1 worker, direct", "N=\(count), --concurrency \(concurrency), median of \(rounds)", String(format: "%.0f msg/s", direct))
            table.add("consume, 1 worker, through PgBouncer (transaction)", "N=\(count), --concurrency \(concurrency), median of \(rounds)",
                      String(format: "%.0f msg/s (%.0f %% of direct)", pooled, pooled / direct * 100))
        }
        for (route, label) in [(Route.direct, "direct, LISTEN"), (.pooledListening, "through PgBouncer, LISTEN on listen_dsn (direct)"), (.pooled, "through PgBouncer, polling every 100 ms")]
        where !onlyManyWorkers {
            let latency = try await latency(url: url, workerURL: route == .direct ? url : pooledURL, route: route, count: 200)
            table.add("dispatch → handler start, idle worker, \(label)", "200 messages, 20 ms apart", String(format: "p50 %.2f ms, p99 %.2f ms", latency.p50, latency.p99))
        }
        if !onlyManyWorkers {
            print("\nPostgreSQL behind PgBouncer 1.18 (pool_mode = transaction) on loopback\n")
            print(table.render())
        }
        if let small {
            let workers = Int(ProcessInfo.processInfo.environment["BENCH_POOLER_WORKERS"] ?? "") ?? 200
            let result = try await manyWorkers(url: small.url, pooledURL: small.pooledURL, workers: workers, count: count)
            print("""

                \(workers) worker processes through PgBouncer (transaction mode, pool of 40) on a server with max_connections = 50:
                \(count) messages (batches of 50, no-op handler): \(result.handled) handled, \(result.distinct ? "each once" : "NOT each once"), \
                \(result.left) left; \(String(format: "%.1f", result.seconds)) s (\(String(format: "%.0f", Double(count) / result.seconds)) msg/s, \
                process start included); server connections at most \(result.maxServerConnections) \
                (sampled every 50 ms), of which PgBouncer's at most \(result.maxPooledConnections) (the others: this benchmark's own); \
                \(result.maxClients) PgBouncer clients
                """)
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }

    /// Fills a table directly, then drains it with `workers` processes going `route`.
    static func consume(fillURL: String, workerURL: String, route: Route, count: Int, workers: Int, concurrency: Int,
                        prefetch: Int = PostgresBenchmarks.batchSize) async throws -> SQLiteBenchmarks.ConsumeResult {
        let name = PostgresBenchmarks.table("pool_\(route.rawValue.replacingOccurrences(of: "-", with: "_"))")
        let queue = try PostgresBenchmarks.transport(url: fillURL, table: name)
        try await queue.setup()
        for first in stride(from: 0, to: count, by: 5000) {
            _ = try await queue.send(contentsOf: (first..<min(count, first + 5000)).map { Envelope(BenchmarkMessage(id: $0)) })
        }
        try await queue.connection.execute("VACUUM ANALYZE \(name)")
        let start = ContinuousClock.now
        let outputs = try (0..<workers).map { _ in
            try WorkerChild.start(["pg-pool-worker", workerURL, name, String(concurrency), route.rawValue, String(prefetch)])
        }
        let (report, elapsed, cpu) = WorkerChild.collect(outputs, count: count, start: start)
        let left = try await queue.statistics().total
        await queue.close()
        await PostgresBenchmarks.drop(url: fillURL, table: name)
        guard left == 0 else { throw MessengerError(.transportFailure, "\(left) messages left unconsumed") }
        return .init(messagesPerSecond: Double(count) / elapsed, peakRSSBytes: report.peakRSSBytes, cpuMicrosecondsPerMessage: cpu)
    }

    struct ManyWorkersResult {
        var handled = 0
        var distinct = false
        var left = 0
        var seconds = 0.0
        var maxServerConnections = 0
        var maxPooledConnections = 0
        var maxClients = 0
    }

    /// `workers` processes through the pooler drain `count` messages; each reports what it handled
    /// (count, sum and sum of squares of the ids), and the server's connections are sampled meanwhile.
    static func manyWorkers(url serverURL: String, pooledURL: String, workers: Int, count: Int) async throws -> ManyWorkersResult {
        // The benchmark's own direct connections, told apart from PgBouncer's by their name.
        let url = serverURL + "?application_name=bench_direct"
        let name = PostgresBenchmarks.table("many")
        let queue = try PostgresBenchmarks.transport(url: url, table: name)
        try await queue.setup()
        for first in stride(from: 0, to: count, by: 5000) {
            _ = try await queue.send(contentsOf: (first..<min(count, first + 5000)).map { Envelope(BenchmarkMessage(id: $0)) })
        }
        try await queue.connection.execute("VACUUM ANALYZE \(name)")
        let sampler = try PostgresConnection(url: url)
        let peak = Mutex((all: 0, pooled: 0))
        let sampling = Task {
            while !Task.isCancelled {
                let sql = "SELECT count(*), count(*) FILTER (WHERE application_name <> 'bench_direct') FROM pg_stat_activity WHERE backend_type = 'client backend'"
                if let row = try? await sampler.query(sql).rows.first, let all = row[0].flatMap({ Int($0) }), let pooled = row[1].flatMap({ Int($0) }) {
                    peak.withLock { $0 = (max($0.all, all), max($0.pooled, pooled)) }
                }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        let start = ContinuousClock.now
        let prefetch = ProcessInfo.processInfo.environment["BENCH_POOLER_PREFETCH"] ?? "50"
        let children = try (0..<workers).map { _ in try WorkerChild.start(["pg-pool-worker", pooledURL, name, "1", Route.pooled.rawValue, prefetch]) }
        var result = ManyWorkersResult()
        var sum = 0, squares = 0
        for (process, output) in children {
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            // The report (peak RSS, CPU seconds), then the count, the sum and the sum of squares.
            let fields = text.split(whereSeparator: \.isWhitespace).suffix(3).compactMap { Int($0) }
            guard fields.count == 3 else { continue }
            result.handled += fields[0]
            sum += fields[1]
            squares += fields[2]
        }
        result.seconds = SQLiteBenchmarks.seconds(ContinuousClock.now - start)
        sampling.cancel()
        _ = await sampling.value
        (result.maxServerConnections, result.maxPooledConnections) = peak.withLock { $0 }
        let ids = 0..<count
        result.distinct = result.handled == count && sum == ids.reduce(0, +) && squares == ids.reduce(0) { $0 + $1 * $1 }
        result.left = try await queue.statistics().total
        result.maxClients = workers
        await sampler.close()
        await queue.close()
        await PostgresBenchmarks.drop(url: url, table: name)
        return result
    }

    /// Latency from `send` returning to the handler starting, on an idle worker going `route`.
    static func latency(url: String, workerURL: String, route: Route, count: Int) async throws -> (p50: Double, p99: Double) {
        let name = PostgresBenchmarks.table("pool_latency")
        let queue = try PostgresBenchmarks.transport(url: url, table: name)
        try await queue.setup()
        let (process, pipe) = try WorkerChild.start(["pg-pool-latency", workerURL, name, String(count), route.rawValue, url])
        // Once the worker is idle (its first empty claim done, LISTEN up where it listens), one message at a time.
        let admin = try PostgresConnection(url: url)
        let ready = route == .pooled
            ? "SELECT count(*) FROM messenger_claim_leases l WHERE l.expires_at > now() AND EXISTS (SELECT 1 FROM pg_stat_activity WHERE query LIKE '%\(name)%')"
            : "SELECT count(*) FROM pg_stat_activity WHERE query = 'LISTEN \"\(name)\"'"
        while try await admin.query(ready).rows[0][0] == "0" { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(300))
        await admin.close()
        let latency = try await PostgresBenchmarks.sendOneAtATime(count, to: queue, measuredBy: process, pipe)
        await queue.close()
        await PostgresBenchmarks.drop(url: url, table: name)
        return latency
    }

    /// Child: drains the table going `route`; prints its report, then how many it handled, the sum
    /// of their ids and of their squares.
    static func runWorker(url: String, table: String, concurrency: Int, route: Route, prefetch: Int) async throws {
        let queue = try transport(url: url, table: table, route: route, prefetch: prefetch)
        let tally = Mutex((count: 0, sum: 0, squares: 0))
        var registry = MessageRegistry()
        registry.handle(BenchmarkMessage.self, name: "tally") { (message: BenchmarkMessage, _: HandlerContext) in
            tally.withLock { $0 = ($0.count + 1, $0.sum + message.id, $0.squares + message.id * message.id) }
        }
        let bus = MessageBus(registry: registry, senders: SendersLocator(routing: [:], senders: [:]))
        let worker = Worker(transports: [WorkerTransport(name: "bench", transport: queue)], bus: bus,
                            options: WorkerOptions(sleep: .milliseconds(10), stopWhenEmpty: true, maxBatchSize: prefetch, concurrency: concurrency),
                            logger: PostgresBenchmarks.quietLogger)
        _ = await worker.run()
        await queue.close()
        let counts = tally.withLock { $0 }
        print(WorkerChild.Report.current.line, counts.count, counts.sum, counts.squares)
    }

    /// Child: an idle worker going `route` that records how long each message took to reach its
    /// handler; prints p50 and p99 in ms.
    static func runLatencyWorker(url: String, table: String, count: Int, route: Route, listenURL: String) async throws {
        try await PostgresBenchmarks.runLatencyWorker(url: url, table: table, count: count) { options in
            if route != .direct { options.pooler = .transaction }
            if route == .pooledListening { options.listenDSN = listenURL }
        }
    }
}
