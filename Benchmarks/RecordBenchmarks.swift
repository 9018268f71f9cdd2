import Foundation
import Logging
import Messenger
import MessengerPostgres
import MessengerSQLite

/// The cost of status records: consume with tracking on and off (same run, same messages), and the
/// read side on a large database (a million finished records and a million waiting messages): a
/// status by id, a history page, the queue counts, and the consume pace next to the small table's.
enum RecordBenchmarks {
    enum Backend: String {
        case sqlite, postgres
    }

    struct Subject {
        let backend: Backend
        /// The SQLite file or the PostgreSQL URL.
        let location: String
        let table: String

        func transport(tracking: TrackingMode = .all, queue: String = "bench", keepCompleted: Int? = nil)
            throws -> any Transport & MessageRecordStore & MessageCountingTransport & ClosableTransport
        {
            var records = RecordOptions()
            records.tracking = tracking
            if let keepCompleted { records.retention.completed = .seconds(keepCompleted) }
            switch backend {
            case .sqlite:
                var options = SQLiteTransportOptions()
                options.queueName = queue
                options.tableName = table
                options.records = records
                return SQLiteTransport(name: queue, connection: SQLiteConnection(path: location), options: options, serializer: JSONSerializer(registry: benchmarkRegistry()))
            case .postgres:
                var options = PostgresTransportOptions()
                options.prefetch = PostgresBenchmarks.batchSize
                options.queueName = queue
                options.tableName = table
                options.records = records
                return PostgresTransport(name: queue, info: try PostgresConnectionInfo(dsn: try DSN(parsing: location)), options: options,
                                         serializer: JSONSerializer(registry: benchmarkRegistry()))
            }
        }

        /// Stores `count` messages as dispatch does (each with its public id, so with its record when tracked).
        func fill(_ count: Int, tracking: TrackingMode, identified: Bool = true) async throws {
            let queue = try transport(tracking: tracking)
            guard let batch = queue as? any BatchSender else { return }
            for first in stride(from: 0, to: count, by: 5000) {
                _ = try await batch.send(contentsOf: (first..<min(count, first + 5000)).map {
                    Envelope(BenchmarkMessage(id: $0), stamps: identified ? [MessageIdStamp()] : [])
                })
            }
            await queue.close()
        }

        /// Starts one worker process and returns its pace over `count` messages (the whole table, or
        /// the first `limit` of a larger backlog, then left as it is).
        /// `keepCompleted`: the worker's retention of completed records, in seconds (it prunes as it goes).
        func consume(_ count: Int, tracking: TrackingMode, limit: Int? = nil, keepCompleted: Int? = nil) async throws -> SQLiteBenchmarks.ConsumeResult {
            let start = ContinuousClock.now
            let child = try WorkerChild.start(["record-worker", backend.rawValue, location, table, tracking.rawValue, limit.map(String.init) ?? "-",
                                               keepCompleted.map(String.init) ?? "-"])
            let (report, elapsed, cpu) = WorkerChild.collect([child], count: count, start: start)
            if limit == nil {
                let queue = try transport(tracking: tracking)
                let left = try await queue.statistics().total
                await queue.close()
                guard left == 0 else { throw MessengerError(.transportFailure, "\(left) messages left unconsumed") }
            }
            return .init(messagesPerSecond: Double(count) / elapsed, peakRSSBytes: report.peakRSSBytes, cpuMicrosecondsPerMessage: cpu)
        }

        func execute(_ sql: String) async throws {
            switch backend {
            case .sqlite:
                let connection = SQLiteConnection(path: location)
                try await connection.execute(sql)
                await connection.close()
            case .postgres:
                let connection = try PostgresConnection(url: location)
                try await connection.execute(sql)
                await connection.close()
            }
        }
    }

    /// The worker process of `consume`.
    static func runWorker(backend: String, location: String, table: String, tracking: String, limit: Int?, keepCompleted: Int?) async throws {
        let subject = Subject(backend: Backend(rawValue: backend) ?? .sqlite, location: location, table: table)
        let queue = try subject.transport(tracking: TrackingMode(rawValue: tracking) ?? .all, keepCompleted: keepCompleted)
        let bus = MessageBus(registry: benchmarkRegistry(), senders: SendersLocator(routing: [:], senders: [:]))
        let worker = Worker(transports: [WorkerTransport(name: "bench", transport: queue)], bus: bus,
                            options: WorkerOptions(limit: limit, sleep: .milliseconds(10), stopWhenEmpty: true, maxBatchSize: PostgresBenchmarks.batchSize),
                            logger: PostgresBenchmarks.quietLogger)
        _ = await worker.run()
        await queue.close()
        print(WorkerChild.Report.current.line)
    }

    /// Consume with tracking `all`, then `none`, then both again: the same table name, emptied in between.
    /// Messages without a public id (stored before records existed) are the reference.
    static func trackingCost(_ subject: Subject, count: Int, to table: inout BenchmarkTable) async throws {
        for round in 1...2 {
            for (tracking, identified) in [(TrackingMode.all, true), (.none, true), (.none, false)] {
                try await subject.fill(count, tracking: tracking, identified: identified)
                let result = try await subject.consume(count, tracking: tracking)
                let name = identified ? "consume, tracking: \(tracking.rawValue)" : "reference: consume messages without public ids"
                table.add("\(name) (round \(round))", "N=\(count), 1 worker, --concurrency 1", BenchmarkRun.rate(result.messagesPerSecond, cpu: result.cpuMicrosecondsPerMessage))
            }
        }
    }

    /// A million finished records and a million waiting messages (with their records), then the read
    /// side and a consume of `consumeCount` from the head of that backlog.
    static func largeTable(_ subject: Subject, size: Int, consumeCount: Int, to table: inout BenchmarkTable) async throws {
        let queue = try subject.transport()
        let encoded = try JSONSerializer(registry: benchmarkRegistry()).encode(Envelope(BenchmarkMessage(id: 7), stamps: [MessageIdStamp(placeholder)]))
        let fillStart = ContinuousClock.now
        try await fillLarge(subject, queue: queue, size: size, encoded: encoded)
        let filled = SQLiteBenchmarks.seconds(ContinuousClock.now - fillStart)
        table.add("large database: fill", "\(size) completed records + \(size) waiting messages with records", String(format: "%.0f s (server-side SQL)", filled))

        let sample = try await queue.records(matching: MessageRecordQuery(status: .completed, limit: 1000)).map(\.id)
            + (try await queue.records(matching: MessageRecordQuery(status: .queued, limit: 1000)).map(\.id))
        var timings: [Double] = []
        for id in sample.shuffled().prefix(1000) {
            let start = ContinuousClock.now
            guard try await queue.record(id: id) != nil else { throw MessengerError(.transportFailure, "record \(id) not found") }
            timings.append(milliseconds(ContinuousClock.now - start))
        }
        table.add("status by id (messenger:status)", "1000 random ids of \(2 * size) records", percentiles(timings))

        let pages: [(String, MessageRecordQuery)] = [
            ("newest 50", MessageRecordQuery(limit: 50)),
            ("status=completed", MessageRecordQuery(status: .completed, limit: 50)),
            ("status=queued", MessageRecordQuery(status: .queued, limit: 50)),
            ("status=failed (none stored)", MessageRecordQuery(status: .failed, limit: 50)),
            ("type=Benchmark.Message", MessageRecordQuery(type: BenchmarkMessage.messageName, limit: 50)),
        ]
        for (name, query) in pages {
            var page = query
            var times: [Double] = []
            for _ in 0..<20 {
                let start = ContinuousClock.now
                let rows = try await queue.records(matching: page)
                times.append(milliseconds(ContinuousClock.now - start))
                // The next page, as a user paging down would ask for it.
                page.after = rows.last.map { MessageRecordCursor(after: $0) }
            }
            table.add("history page of 50, \(name)", "20 successive pages, \(2 * size) records", percentiles(times))
        }
        var statistics: [Double] = []
        for _ in 0..<10 {
            let start = ContinuousClock.now
            _ = try await queue.statistics()
            statistics.append(milliseconds(ContinuousClock.now - start))
        }
        table.add("queue counts (messenger:stats)", "\(size) waiting messages", percentiles(statistics))
        await queue.close()
        let result = try await subject.consume(consumeCount, tracking: .all, limit: consumeCount)
        table.add("consume from the large backlog, tracking: all", "first \(consumeCount) of \(size), 1 worker", BenchmarkRun.rate(result.messagesPerSecond, cpu: result.cpuMicrosecondsPerMessage))
        // The same, while the worker prunes every completed record (keep_completed: 0) beside its claims.
        let before = try await recordCount(subject)
        let pruning = try await subject.consume(consumeCount, tracking: .all, limit: consumeCount, keepCompleted: 0)
        let pruned = before - (try await recordCount(subject))
        table.add("the same while pruning (keep_completed: 0)", "next \(consumeCount), \(pruned) records pruned meanwhile",
                  BenchmarkRun.rate(pruning.messagesPerSecond, cpu: pruning.cpuMicrosecondsPerMessage))
    }

    /// How many records the database holds.
    static func recordCount(_ subject: Subject) async throws -> Int {
        switch subject.backend {
        case .sqlite:
            let connection = SQLiteConnection(path: subject.location)
            let count = try await connection.query("SELECT count(*) FROM messenger_records").first?[0].int ?? 0
            await connection.close()
            return Int(count)
        case .postgres:
            let connection = try PostgresConnection(url: subject.location)
            let count = try await connection.query("SELECT count(*) FROM messenger_records").rows.first?[0].flatMap { Int($0) } ?? 0
            await connection.close()
            return count
        }
    }

    static let placeholder = "00000000-0000-0000-0000-000000000000"

    static func fillLarge(_ subject: Subject, queue: some Transport, size: Int, encoded: EncodedEnvelope) async throws {
        try await (queue as? any SetupableTransport)?.setup()
        let body = encoded.body.replacingOccurrences(of: "'", with: "''")
        let headers = encoded.headers.replacingOccurrences(of: "'", with: "''")
        switch subject.backend {
        case .postgres:
            try await subject.execute("""
                INSERT INTO messenger_records (id, type, transport, queue_name, status, attempts, created_at, available_at, started_at, finished_at, body)
                SELECT \(postgresTimeOrderedId(base: "-3600000")), 'Benchmark.Message', 'bench', 'bench', 'completed', 1,
                    now() - interval '1 hour' + g * interval '1 ms', now() - interval '1 hour', now(), now(), '\(body)'
                FROM generate_series(1, \(size)) g;
                WITH ids AS (SELECT \(postgresTimeOrderedId(base: "0")) AS id, g FROM generate_series(1, \(size)) g),
                m AS (INSERT INTO \(subject.table) (body, headers, queue_name, available_at, message_id)
                    SELECT '\(body)', replace('\(headers)', '\(placeholder)', id), 'bench', now() - interval '1 minute', id FROM ids ORDER BY g
                    RETURNING id, message_id, created_at, available_at)
                INSERT INTO messenger_records (id, type, transport, queue_name, status, created_at, available_at, row_id, body)
                SELECT message_id, 'Benchmark.Message', 'bench', 'bench', 'queued', created_at, available_at, id, '\(body)' FROM m;
                """)
            try await subject.execute("VACUUM ANALYZE messenger_records")
            try await subject.execute("VACUUM ANALYZE \(subject.table)")
        case .sqlite:
            try await subject.execute("""
                BEGIN;
                WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < \(size))
                INSERT INTO messenger_records (id, type, transport, queue_name, status, attempts, created_at, available_at, started_at, finished_at, body)
                SELECT \(sqliteTimeOrderedId(base: 1_700_000_000_000)), 'Benchmark.Message', 'bench', 'bench', 'completed', 1, 1700000000000 + n, 1700000000000, 1700000000000,
                    CAST(strftime('%s', 'now') AS INTEGER) * 1000, '\(body)' FROM g;
                WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < \(size))
                INSERT INTO \(subject.table) (body, headers, queue_name, created_at, available_at, message_id)
                SELECT '\(body)', replace('\(headers)', '\(placeholder)', \(sqliteTimeOrderedId(base: 1_750_000_000_000))), 'bench', 1750000000000 + n, 1750000000000,
                    \(sqliteTimeOrderedId(base: 1_750_000_000_000)) FROM g;
                INSERT INTO messenger_records (id, type, transport, queue_name, status, created_at, available_at, row_id, body)
                SELECT message_id, 'Benchmark.Message', 'bench', 'bench', 'queued', created_at, available_at, id, body FROM \(subject.table);
                COMMIT;
                ANALYZE;
                """)
        }
    }

    static func milliseconds(_ duration: Duration) -> Double { SQLiteBenchmarks.seconds(duration) * 1000 }

    /// SQL for ids shaped as `MessageIdStamp` makes them (time first, so in dispatch order), for
    /// row `g` of a series, `base` ms after now.
    static func postgresTimeOrderedId(base: String) -> String {
        """
        (SELECT format('%s-%s-7%s-8%s-%s', lpad(to_hex(t >> 16), 8, '0'), lpad(to_hex(t & 65535), 4, '0'), substr(h, 1, 3), substr(h, 4, 3), substr(h, 7, 12))
         FROM (SELECT (extract(epoch FROM now()) * 1000)::bigint + \(base) + g / 10 AS t, md5(g::text) AS h) v)
        """
    }

    /// The same for SQLite, row `n`, from `base` epoch ms; deterministic per row (so the body's id
    /// and the row's match).
    static func sqliteTimeOrderedId(base: Int64) -> String {
        "printf('%08x-%04x-7%03x-8%03x-%012x', (\(base) + n / 10) >> 16, (\(base) + n / 10) & 65535, n % 4096, (n / 4096) % 4096, n)"
    }

    static func percentiles(_ values: [Double]) -> String {
        let sorted = values.sorted()
        func at(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        return String(format: "p50 %.2f ms, p99 %.2f ms", at(0.5), at(0.99))
    }

    /// How much a handler's progress reports cost it: the same work (a tight arithmetic loop that
    /// looks at the clock every 256 steps) with a report every 100 µs of it (10,000 a second) and
    /// without, in process; the best of three runs of each.
    static func progressCost() async throws -> (plain: Double, reporting: Double, reports: Int) {
        let queue = InMemoryTransport(name: "bench")
        var registry = MessageRegistry()
        let iterations = 1_000_000_000
        registry.handle(ProgressWork.self, name: "work") { message, context in
            var accumulator: UInt64 = 1
            var reports = 0
            var lastReport = ContinuousClock.now
            for index in 0..<iterations {
                accumulator = accumulator &* 6_364_136_223_846_793_005 &+ UInt64(index)
                if index & 255 == 0 {
                    let now = ContinuousClock.now
                    if now - lastReport >= .microseconds(100) {
                        if message.report { context.progress(Double(index) / Double(iterations), "step \(index)") }
                        reports += 1
                        lastReport = now
                    }
                }
            }
            return ProgressOutcome(accumulator: accumulator, reports: reports)
        }
        let bus = MessageBus(registry: registry, senders: SendersLocator(routing: ["*": ["bench"]], senders: ["bench": queue]))
        var durations: [Bool: [Double]] = [:]
        var reports = 0
        for round in 0..<6 {
            let report = round % 2 == 1
            let sent = try await bus.dispatch(ProgressWork(report: report))
            let worker = Worker(transports: [WorkerTransport(name: "bench", transport: queue)], bus: bus,
                                options: WorkerOptions(stopWhenEmpty: true), logger: PostgresBenchmarks.quietLogger)
            let start = ContinuousClock.now
            _ = await worker.run()
            durations[report, default: []].append(SQLiteBenchmarks.seconds(ContinuousClock.now - start))
            if report, let result = try await queue.record(id: sent.messageId!)?.result,
               let decoded = try? JSONDecoder().decode(ProgressOutcome.self, from: Data(result.utf8)) { reports = decoded.reports }
        }
        return (durations[false]!.min()!, durations[true]!.min()!, reports)
    }
}

struct ProgressWork: Message {
    static let messageName = "Benchmark.ProgressWork"
    var report: Bool
}

struct ProgressOutcome: Codable, Sendable {
    var accumulator: UInt64
    var reports: Int
}
