import Foundation
import Messenger

/// `app serve` (the release binary) on a large database while a worker consumes at full speed: the
/// latency of a status by id and of the overview page at a fixed request rate, and how much the
/// serving slows the worker (its pace alone before and after, and under each load).
enum DashboardBenchmarks {
    struct Settings {
        /// The release `app` binary (`BENCH_APP_BINARY`).
        let app: String
        /// Completed records, and waiting messages with their records, in the database.
        let size: Int
        /// Messages the worker consumes in each phase.
        let consume: Int
        /// Requests per second.
        let rate: Double
    }

    static func run(_ subject: RecordBenchmarks.Subject, project: String, settings: Settings, to table: inout BenchmarkTable) async throws {
        let queue = try subject.transport()
        let encoded = try JSONSerializer(registry: benchmarkRegistry()).encode(Envelope(BenchmarkMessage(id: 7), stamps: [MessageIdStamp(RecordBenchmarks.placeholder)]))
        try await RecordBenchmarks.fillLarge(subject, queue: queue, size: settings.size, encoded: encoded)
        let ids = try await queue.records(matching: MessageRecordQuery(status: .completed, limit: 1000)).map(\.id)
            + (try await queue.records(matching: MessageRecordQuery(status: .queued, limit: 1000)).map(\.id))
        await queue.close()

        try writeConfig(subject, project: project)
        let token = try run(settings.app, ["dashboard:token", "benchmark", "--role", "viewer"], in: project).trimmingCharacters(in: .whitespacesAndNewlines)
        let (server, port) = try await serve(settings.app, in: project)
        defer { server.terminate(); server.waitUntilExit() }
        let first = ContinuousClock.now
        let warm = try HTTPClientConnection(port: port)
        guard try warm.get("/", authorization: "Bearer \(token)") == 200, try warm.get("/api/messages/\(ids[0])", authorization: "Bearer \(token)") == 200 else {
            throw MessengerError(.transportFailure, "app serve does not answer 200 to the benchmark's token")
        }
        table.add("first overview and status after start", "nothing cached yet", String(format: "%.0f ms", SQLiteBenchmarks.seconds(ContinuousClock.now - first) * 1000))

        let load = HTTPLoad(port: port, authorization: "Bearer \(token)", rate: settings.rate, connections: 8)
        let records = "\(2 * settings.size) records, \(settings.size) waiting"
        let alone = try await subject.consume(settings.consume, tracking: .all, limit: settings.consume)
        // Each phase measures the steady state: one request first (the figures a page shows are
        // recomputed after an idle spell; the first request after start is timed above).
        _ = try warm.get("/api/messages/\(ids[1])", authorization: "Bearer \(token)")
        var cpu = try serveCPUSeconds(server)
        let (byIdPace, byId) = try await load.during({ try await subject.consume(settings.consume, tracking: .all, limit: settings.consume) },
                                                    path: { "/api/messages/\(ids[$0 * 7919 % ids.count])" })
        let byIdCPU = try serveCPUSeconds(server) - cpu
        _ = try warm.get("/", authorization: "Bearer \(token)")
        cpu = try serveCPUSeconds(server)
        let (overviewPace, overview) = try await load.during({ try await subject.consume(settings.consume, tracking: .all, limit: settings.consume) },
                                                            path: { _ in "/" })
        let overviewCPU = try serveCPUSeconds(server) - cpu
        let after = try await subject.consume(settings.consume, tracking: .all, limit: settings.consume)
        let reference = (alone.messagesPerSecond + after.messagesPerSecond) / 2
        let rate = String(format: "%.0f req/s", settings.rate)
        table.add("GET /api/messages/{id}, worker consuming", "\(rate) open loop, 8 connections, \(records)", byId.summary())
        table.add("overview page (GET /), worker consuming", "\(rate) open loop, 8 connections, \(records)", overview.summary())
        for (name, seconds, outcome) in [("by id", byIdCPU, byId), ("overview", overviewCPU, overview)] {
            table.add("app serve CPU per request, \(name)", "user + system time of the process", String(format: "%.2f ms", seconds * 1000 / Double(max(1, outcome.latencies.count))))
        }
        table.add("worker alone, before and after", "\(settings.consume) messages each, tracking: all",
                  String(format: "%.0f and %.0f msg/s", alone.messagesPerSecond, after.messagesPerSecond))
        for (name, pace) in [("by id", byIdPace), ("overview", overviewPace)] {
            table.add("worker while serving \(name) at \(rate)", "\(settings.consume) messages",
                      String(format: "%.0f msg/s (%+.1f %% vs alone)", pace.messagesPerSecond, (pace.messagesPerSecond / reference - 1) * 100))
        }
    }

    /// User and system CPU seconds a child process has used (`/proc/PID/stat`, in clock ticks).
    static func serveCPUSeconds(_ process: Process) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8)
        // The fields after the command name (in parentheses, which may hold spaces): utime and stime are the 12th and 13th.
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        return Double((Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// `config/messenger.yaml` with one transport on the subject's store.
    static func writeConfig(_ subject: RecordBenchmarks.Subject, project: String) throws {
        let dsn = subject.backend == .sqlite ? "sqlite://var/bench.sqlite" : subject.location
        try FileManager.default.createDirectory(atPath: project + "/config", withIntermediateDirectories: true)
        try """
            messenger:
              transports:
                bench:
                  dsn: '\(dsn)'
                  options: { queue_name: bench, table_name: \(subject.table) }
            """.write(toFile: project + "/config/messenger.yaml", atomically: true, encoding: .utf8)
    }

    /// Runs `app ARGUMENTS` in `directory`; returns its standard output (throws on a non-zero exit).
    static func run(_ app: String, _ arguments: [String], in directory: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: app)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw MessengerError(.transportFailure, "app \(arguments.joined(separator: " ")) exited \(process.terminationStatus)") }
        return text
    }

    /// Starts `app serve --port 0` (its log in `serve.log`); returns it and its port once it listens.
    static func serve(_ app: String, in directory: String) async throws -> (Process, Int) {
        let log = directory + "/serve.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: app)
        process.arguments = ["serve", "--port", "0"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        for _ in 0..<600 {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let port = text.firstMatch(of: /http:\/\/127\.0\.0\.1:([0-9]+)\//).flatMap({ Int($0.1) }) { return (process, port) }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw MessengerError(.transportFailure, "app serve did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }
}
