import Foundation
import Messenger
import Scheduler

/// Runs every benchmark and prints the table. Sizes: `BENCH_DISPATCH`, `BENCH_CONSUME`.
enum BenchmarkRun {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        let dispatchCount = Int(environment["BENCH_DISPATCH"] ?? "") ?? 3000
        let consumeCount = Int(environment["BENCH_CONSUME"] ?? "") ?? 100_000
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("messenger-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        print("SQLite transport, WAL, one file on local disk; \(ProcessInfo.processInfo.activeProcessorCount) cores; no-op handler; ~150-byte messages; worker batch ≤ \(WorkerOptions().maxBatchSize) (adaptive)\n")
        var table = BenchmarkTable()
        let serializer = try SerializerBenchmark.run(count: 50_000)
        table.add("JSON serializer, encode", "N=50000, in process", rate(serializer.encode))
        table.add("JSON serializer, decode", "N=50000, in process", rate(serializer.decode))
        let identified = try SerializerBenchmark.run(count: 50_000, stamps: { _ in [MessageIdStamp()] })
        table.add("JSON serializer, decode, with a public id", "N=50000, in process", rate(identified.decode))
        for (expression, zone) in [("*/5 9-17 * * mon-fri", "Europe/Paris"), ("0 3 1 * *", "Australia/Lord_Howe")] {
            let value = try CronBenchmark.run(expression: expression, zone: zone, count: 100_000)
            table.add("cron next occurrence, \(expression)", "N=100000 successive, \(zone)", String(format: "%.0f /s", value))
        }
        if environment["BENCH_ONLY_SERIALIZER"] != nil { return print(table.render()) }
        if environment["BENCH_ONLY_RECORDS"] != nil { return try await recordSection(environment: environment, directory: directory) }
        if environment["BENCH_ONLY_DASHBOARD"] != nil { return try await dashboardSection(environment: environment, directory: directory) }
        if environment["BENCH_ONLY_FLOW"] != nil { return try await flowSection(environment: environment) }
        if environment["BENCH_ONLY_METRICS"] != nil { return try await MetricsBenchmarks.section(environment: environment, directory: directory) }
        if environment["BENCH_ONLY_NOTIFY"] != nil, let url = environment["MESSENGER_BENCH_POSTGRES_URL"] {
            try await NotifyBenchmarks.section(url: url)
            let latency = try await PostgresBenchmarks.latency(url: url, count: 300)
            return print(String(format: "\ndispatch → handler start, idle worker (300 messages, 20 ms apart, LISTEN/NOTIFY): p50 %.2f ms, p99 %.2f ms", latency.p50, latency.p99))
        }
        if environment["BENCH_ONLY_POOLER"] != nil { return try await poolerSection(environment: environment) }
        let onlyPostgres = environment["BENCH_ONLY_POSTGRES"] != nil
        if !onlyPostgres {
            SchedulerBenchmarks.add(try await SchedulerBenchmarks.sqlite(count: 10_000, directory: directory), count: 10_000, to: &table)
        }
        if environment["BENCH_ONLY_SCHEDULER"] != nil, let url = environment["MESSENGER_BENCH_POSTGRES_URL"] {
            print(table.render())
            var pg = BenchmarkTable()
            SchedulerBenchmarks.add(try await SchedulerBenchmarks.postgres(count: 10_000, url: url), count: 10_000, to: &pg)
            return print(pg.render())
        }
        for synchronous in ["FULL", "NORMAL"] where !onlyPostgres {
            let value = try await SQLiteBenchmarks.dispatch(count: dispatchCount, synchronous: synchronous, directory: directory)
            table.add("dispatch, one by one (1 transaction each)", "N=\(dispatchCount), synchronous=\(synchronous)", rate(value))
        }
        var peak = 0
        for workers in [1, 2] where !onlyPostgres {
            let result = try await SQLiteBenchmarks.consume(count: consumeCount, workers: workers, directory: directory)
            peak = max(peak, result.peakRSSBytes)
            table.add("consume, \(workers) worker process\(workers > 1 ? "es" : "")", "N=\(consumeCount), synchronous=FULL", rate(result.messagesPerSecond, cpu: result.cpuMicrosecondsPerMessage))
        }
        if !onlyPostgres {
            table.add("worker peak RSS (VmHWM)", "during the consume runs above", String(format: "%.1f MB", Double(peak) / 1_048_576))
        }
        let parkCount = Int(environment["BENCH_PARK"] ?? "") ?? 20_000
        for atomic in [true, false] where !onlyPostgres {
            let value = try await SQLiteBenchmarks.park(count: parkCount, atomic: atomic, directory: directory)
            table.add(atomic ? "failure path: park undecodable rows" : "reference: park in two steps per message",
                      "N=\(parkCount), 1 worker, \(atomic ? "batched with the claims" : "send, then reject")", rate(value))
        }
        print(table.render())

        guard let url = environment["MESSENGER_BENCH_POSTGRES_URL"] else {
            print("\nPostgreSQL: skipped (set MESSENGER_BENCH_POSTGRES_URL, or run scripts/benchmark, which starts a throw-away server)")
            return
        }
        print("\nPostgreSQL transport, throw-away local cluster with default durability (fsync on, synchronous_commit on); same messages and handler\n")
        let pgConsume = Int(environment["BENCH_PG_CONSUME"] ?? "") ?? 100_000
        var pg = BenchmarkTable()
        pg.add("dispatch, one by one", "N=\(dispatchCount), 1 client", rate(try await PostgresBenchmarks.dispatchOneByOne(url: url, count: dispatchCount)))
        pg.add("dispatch, 16 callers at once, one by one each", "N=\(dispatchCount), one process, one connection", rate(try await PostgresBenchmarks.dispatchConcurrently(url: url, count: dispatchCount, callers: 16)))
        let reference = try await PostgresBenchmarks.serverReference(url: url, count: dispatchCount)
        pg.add("reference: the insert alone, one by one", "N=\(dispatchCount), prepared, no bus, no encoding", rate(reference.oneByOne))
        pg.add("reference: server-side INSERT … SELECT", "N=100000 rows in one statement, no client", rate(reference.serverSide))
        pg.add("dispatch, batched (send(contentsOf:))", "N=100000, calls of 1000", rate(try await PostgresBenchmarks.dispatchBatched(url: url, count: 100_000, batch: 1000)))
        pg.add("dispatch, batched (send(contentsOf:))", "N=100000 in one call (1000-row statements)", rate(try await PostgresBenchmarks.dispatchBatched(url: url, count: 100_000, batch: 100_000)))
        for atomic in [true, false] {
            let value = try await PostgresBenchmarks.park(url: url, count: parkCount, atomic: atomic)
            pg.add(atomic ? "failure path: park undecodable rows" : "reference: park in two steps per message",
                   "N=\(parkCount), 1 worker, \(atomic ? "batched with the claims" : "send, then reject")", rate(value))
        }
        var pgPeak = 0
        for (workers, concurrency) in [(1, 1), (1, 16), (2, 1), (2, 16)] {
            let result = try await PostgresBenchmarks.consume(url: url, count: pgConsume, workers: workers, concurrency: concurrency)
            pgPeak = max(pgPeak, result.peakRSSBytes)
            pg.add("consume, \(workers) worker process\(workers > 1 ? "es" : ""), --concurrency \(concurrency)", "N=\(pgConsume), batch ≤ \(PostgresBenchmarks.batchSize)", rate(result.messagesPerSecond, cpu: result.cpuMicrosecondsPerMessage))
        }
        if !onlyPostgres {
            SchedulerBenchmarks.add(try await SchedulerBenchmarks.postgres(count: 10_000, url: url), count: 10_000, to: &pg)
        }
        let latency = try await PostgresBenchmarks.latency(url: url, count: 300)
        pg.add("dispatch → handler start, idle worker", "300 messages, 20 ms apart, LISTEN/NOTIFY", String(format: "p50 %.2f ms, p99 %.2f ms", latency.p50, latency.p99))
        pg.add("worker peak RSS (VmHWM)", "during the consume runs above", String(format: "%.1f MB", Double(pgPeak) / 1_048_576))
        print(pg.render())
        try await NotifyBenchmarks.section(url: url)
        try await poolerSection(environment: environment)
        try await flowSection(environment: environment)
        try await recordSection(environment: environment, directory: directory)
        try await dashboardSection(environment: environment, directory: directory)
        try await MetricsBenchmarks.section(environment: environment, directory: directory)
    }

    /// PgBouncer in transaction mode (scripts/benchmark starts it, and a small server for the run of
    /// hundreds of workers); skipped without it.
    static func poolerSection(environment: [String: String]) async throws {
        guard let url = environment["MESSENGER_BENCH_POSTGRES_URL"], let pooled = environment["MESSENGER_BENCH_PGBOUNCER_URL"] else {
            return print("\nPgBouncer: skipped (no MESSENGER_BENCH_PGBOUNCER_URL; scripts/benchmark starts one when pgbouncer is installed)")
        }
        let small = environment["MESSENGER_BENCH_SMALL_POSTGRES_URL"].flatMap { url in environment["MESSENGER_BENCH_SMALL_PGBOUNCER_URL"].map { (url, $0) } }
        try await PoolerBenchmarks.section(url: url, pooledURL: pooled, small: small, count: Int(environment["BENCH_POOLER_COUNT"] ?? "") ?? 100_000,
                                         onlyManyWorkers: environment["BENCH_POOLER_ONLY_MANY"] != nil)
    }

    /// Flow control on PostgreSQL: the other types under a concurrency limit on one, a rate limit.
    static func flowSection(environment: [String: String]) async throws {
        guard let url = environment["MESSENGER_BENCH_POSTGRES_URL"] else { return }
        let (others, limited) = (20_000, 2_000)
        print("\nFlow control (limits:), PostgreSQL, \(FlowBenchmarks.workers) worker processes at --concurrency 4, handlers that sleep 1 ms\n")
        var table = BenchmarkTable()
        var figures: [String: [Double]] = [:]
        // In turn, twice: the spread between runs of the same setting shows the noise.
        for _ in 0..<2 {
            for mode in ["none", "concurrency"] {
                figures[mode, default: []].append(try await FlowBenchmarks.otherTypes(url: url, mode: mode, others: others, limited: limited))
            }
        }
        let spread = { (values: [Double]) in String(format: "%.0f–%.0f /s", values.min() ?? 0, values.max() ?? 0) }
        table.add("other type, no limit", "\(others) + \(limited) of a second type, unlimited", spread(figures["none"] ?? []))
        let ratio = (figures["concurrency"] ?? []).reduce(0, +) / max(1, (figures["none"] ?? []).reduce(0, +)) * 100
        table.add("other type, the second limited to concurrency: 1", "same, same run", spread(figures["concurrency"] ?? []) + String(format: " (%.0f %% of unlimited)", ratio))
        let seconds = Int(environment["BENCH_FLOW_RATE_SECONDS"] ?? "") ?? 30
        let rated = try await FlowBenchmarks.rate(url: url, seconds: seconds)
        table.add("rate_limit 100 per 1 s, starts", "over \(seconds) s from the first, full bucket included",
                  String(format: "%.1f /s (%d starts, %+.1f %%)", rated.perSecond, rated.total, (rated.perSecond / 100 - 1) * 100))
        print(table.render())
    }

    /// `app serve` under load while a worker consumes (needs the release `app`: `BENCH_APP_BINARY`).
    static func dashboardSection(environment: [String: String], directory: String) async throws {
        guard let app = environment["BENCH_APP_BINARY"] else {
            return print("\nHTTP API and dashboard: skipped (set BENCH_APP_BINARY to a release app, as scripts/benchmark does)")
        }
        let settings = DashboardBenchmarks.Settings(
            app: app, size: Int(environment["BENCH_DASHBOARD_SIZE"] ?? "") ?? 1_000_000,
            consume: Int(environment["BENCH_DASHBOARD_CONSUME"] ?? "") ?? 200_000, rate: Double(environment["BENCH_DASHBOARD_RATE"] ?? "") ?? 200
        )
        print("\nHTTP API and dashboard: release `app serve` on loopback, bearer token (viewer), a worker process consuming the backlog\n")
        if environment["BENCH_ONLY_POSTGRES"] == nil {
            var table = BenchmarkTable()
            let project = directory + "/dashboard-sqlite"
            let sqlite = RecordBenchmarks.Subject(backend: .sqlite, location: project + "/var/bench.sqlite", table: "messenger_messages")
            try await DashboardBenchmarks.run(sqlite, project: project, settings: settings, to: &table)
            print("SQLite (synchronous=FULL)\n" + table.render())
        }
        guard let url = environment["MESSENGER_BENCH_POSTGRES_URL"] else { return }
        var pg = BenchmarkTable()
        let subject = RecordBenchmarks.Subject(backend: .postgres, location: url, table: PostgresBenchmarks.table("dashboard"))
        // Only this section's records: those of the sections before are gone.
        try? await subject.execute("DELETE FROM messenger_records WHERE transport = 'bench'")
        try await DashboardBenchmarks.run(subject, project: directory + "/dashboard-postgres", settings: settings, to: &pg)
        await PostgresBenchmarks.drop(url: url, table: subject.table)
        try? await subject.execute("DELETE FROM messenger_records WHERE transport = 'bench'")
        print("\nPostgreSQL\n" + pg.render())
    }

    /// Status records: tracking's cost on consume, the read side on a large database, progress reports.
    static func recordSection(environment: [String: String], directory: String) async throws {
        let count = Int(environment["BENCH_RECORDS_CONSUME"] ?? "") ?? 100_000
        let size = Int(environment["BENCH_RECORDS_SIZE"] ?? "") ?? 1_000_000
        print("\nStatus records (tracking: all is the default); SQLite synchronous=FULL, PostgreSQL as above\n")
        var table = BenchmarkTable()
        let progress = try await RecordBenchmarks.progressCost()
        table.add("handler time with progress reports", "\(progress.reports) reports, one every 100 µs of work",
                  String(format: "%.3f s vs %.3f s without (%+.1f %%)", progress.reporting, progress.plain, (progress.reporting / progress.plain - 1) * 100))
        if environment["BENCH_ONLY_POSTGRES"] == nil {
            let sqlite = RecordBenchmarks.Subject(backend: .sqlite, location: "\(directory)/records.sqlite", table: "messenger_messages")
            try await RecordBenchmarks.trackingCost(sqlite, count: count, to: &table)
            let large = RecordBenchmarks.Subject(backend: .sqlite, location: "\(directory)/records-large.sqlite", table: "messenger_messages")
            try await RecordBenchmarks.largeTable(large, size: size, consumeCount: count, to: &table)
        }
        print("SQLite\n" + table.render())
        guard let url = environment["MESSENGER_BENCH_POSTGRES_URL"] else { return }
        var pg = BenchmarkTable()
        let small = RecordBenchmarks.Subject(backend: .postgres, location: url, table: PostgresBenchmarks.table("records"))
        try await RecordBenchmarks.trackingCost(small, count: count, to: &pg)
        await PostgresBenchmarks.drop(url: url, table: small.table)
        let big = RecordBenchmarks.Subject(backend: .postgres, location: url, table: PostgresBenchmarks.table("records_large"))
        try await RecordBenchmarks.largeTable(big, size: size, consumeCount: count, to: &pg)
        await PostgresBenchmarks.drop(url: url, table: big.table)
        print("\nPostgreSQL\n" + pg.render())
    }

    static func rate(_ value: Double) -> String { String(format: "%.0f msg/s", value) }

    /// A consume rate with the workers' CPU time per message.
    static func rate(_ value: Double, cpu: Double) -> String { String(format: "%.0f msg/s (worker CPU %.0f µs/msg)", value, cpu) }
}

/// How fast the JSON serializer encodes and decodes the benchmark message (both directions of every transport).
enum SerializerBenchmark {
    static func run(count: Int, stamps: (Int) -> [any Stamp] = { _ in [] }) throws -> (encode: Double, decode: Double) {
        let serializer = JSONSerializer(registry: benchmarkRegistry())
        let envelopes = (0..<count).map { Envelope(BenchmarkMessage(id: $0), stamps: [BusNameStamp("messenger.bus.default")] + stamps($0)) }
        var start = ContinuousClock.now
        let encoded = try envelopes.map { try serializer.encode($0) }
        let encodeRate = Double(count) / SQLiteBenchmarks.seconds(ContinuousClock.now - start)
        start = ContinuousClock.now
        for item in encoded { _ = try serializer.decode(item) }
        return (encodeRate, Double(count) / SQLiteBenchmarks.seconds(ContinuousClock.now - start))
    }
}

/// How many next-occurrence computations a second, each from the previous result.
enum CronBenchmark {
    static func run(expression: String, zone: String, count: Int) throws -> Double {
        let cron = try CronExpression(expression)
        let timeZone = TimeZone(identifier: zone)!
        var cursor = Date(timeIntervalSince1970: 1_767_225_600)
        let start = ContinuousClock.now
        for _ in 0..<count { cursor = cron.nextOccurrence(after: cursor, in: timeZone) ?? cursor }
        return Double(count) / SQLiteBenchmarks.seconds(ContinuousClock.now - start)
    }
}
