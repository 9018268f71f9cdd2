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

    /// What a worker child prints when it is done: its peak RSS in bytes and its CPU seconds.
    struct WorkerReport {
        var peakRSSBytes = 0
        var cpuSeconds = 0.0

        init(peakRSSBytes: Int, cpuSeconds: Double) {
            self.peakRSSBytes = peakRSSBytes
            self.cpuSeconds = cpuSeconds
        }

        init(line: String) {
            let fields = line.split(whereSeparator: \.isWhitespace)
            peakRSSBytes = fields.first.flatMap { Int($0) } ?? 0
            cpuSeconds = fields.dropFirst().first.flatMap { Double($0) } ?? 0
        }

        static var current: WorkerReport { WorkerReport(peakRSSBytes: peakResidentBytes(), cpuSeconds: cpuSecondsUsed()) }
        var line: String { "\(peakRSSBytes) \(cpuSeconds)" }
    }

    /// Collects the children's reports: the highest peak RSS, the CPU time of all.
    static func collect(_ children: [(Process, Pipe)], count: Int, start: ContinuousClock.Instant) -> (report: WorkerReport, elapsed: Double, cpuPerMessage: Double) {
        var total = WorkerReport(peakRSSBytes: 0, cpuSeconds: 0)
        for (process, output) in children {
            let report = WorkerReport(line: String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            process.waitUntilExit()
            total.peakRSSBytes = max(total.peakRSSBytes, report.peakRSSBytes)
            total.cpuSeconds += report.cpuSeconds
        }
        return (total, seconds(ContinuousClock.now - start), total.cpuSeconds * 1_000_000 / Double(count))
    }

    /// User and system CPU seconds of this process so far.
    static func cpuSecondsUsed() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Starts `workers` processes draining a table of `count` messages; wall time from start to the last exit.
    static func consume(count: Int, workers: Int, directory: String) async throws -> ConsumeResult {
        let path = "\(directory)/consume-\(workers).sqlite"
        try await fill(path: path, count: count)
        let start = ContinuousClock.now
        let processes = try (0..<workers).map { _ in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            process.arguments = ["worker", path]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            return (process, output)
        }
        let (report, elapsed, cpu) = collect(processes, count: count, start: start)
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
        print(WorkerReport.current.line)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// VmHWM of this process, in bytes.
    static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) else { return 0 }
        return kilobytes * 1024
    }
}
