import Foundation
import Logging
import Messenger
import MessengerPostgres
import Synchronization

/// A second type, for a limit on one type while another flows.
struct LimitedBenchmarkMessage: Message {
    static let messageName = "Benchmark.Limited"
    var id: Int
}

/// Flow control on PostgreSQL with 4 worker processes: the other types' throughput while one type is
/// limited to `concurrency: 1`, against no limit (same run), and a rate limit measured over 30 s.
/// Handlers sleep 1 ms (a handler that does something), 4 at a time per worker.
enum FlowBenchmarks {
    static let workers = 4

    static func limits(_ name: String) -> FlowLimits {
        switch name {
        case "concurrency": FlowLimits([FlowRule(.type(LimitedBenchmarkMessage.messageName), concurrency: 1)])
        case "rate": FlowLimits([FlowRule(.type(LimitedBenchmarkMessage.messageName), rateLimit: RateLimit(limit: 100, intervalMilliseconds: 1000))])
        default: FlowLimits()
        }
    }

    static func transport(url: String, table: String, limits: FlowLimits) throws -> PostgresTransport {
        var options = PostgresTransportOptions()
        options.tableName = table
        options.queueName = "bench"
        return PostgresTransport(name: "bench", info: try PostgresConnectionInfo(dsn: try DSN(parsing: url)), options: options,
                                 serializer: JSONSerializer(registry: registry(journal: nil)), limits: limits)
    }

    /// Both types, handlers that sleep 1 ms; each start of the limited type is noted in `journal`.
    static func registry(journal: Journal?) -> MessageRegistry {
        var registry = MessageRegistry()
        registry.handle(BenchmarkMessage.self, name: "sleep") { (_: BenchmarkMessage, _: HandlerContext) in
            journal?.note(other: true)
            try await Task.sleep(for: .milliseconds(1))
        }
        registry.handle(LimitedBenchmarkMessage.self, name: "sleep") { (_: LimitedBenchmarkMessage, _: HandlerContext) in
            journal?.note(other: false)
            try await Task.sleep(for: .milliseconds(1))
        }
        return registry
    }

    /// When a worker's handlers ran: the last start of the other type, every start of the limited one.
    final class Journal: Sendable {
        private let state = Mutex<(lastOther: Double, limited: [Double])>((0, []))
        func note(other: Bool) {
            let now = Date().timeIntervalSince1970
            state.withLock { if other { $0.lastOther = now } else { $0.limited.append(now) } }
        }
        var lines: String { state.withLock { "\($0.lastOther)\n" + $0.limited.map { String($0) }.joined(separator: "\n") } }
    }

    /// The other type's messages per second with the limited type under `mode` ("none" or "concurrency").
    static func otherTypes(url: String, mode: String, others: Int, limited: Int) async throws -> Double {
        let name = PostgresBenchmarks.table("flow_\(mode)")
        await PostgresBenchmarks.drop(url: url, table: name)
        let queue = try transport(url: url, table: name, limits: limits(mode))
        try await queue.setup()
        var envelopes: [Envelope] = []
        for id in 0..<(others + limited) {
            // The limited messages spread among the others, so that they are met all along.
            envelopes.append(id % ((others + limited) / limited) == 0 && envelopes.count(where: { $0.message is LimitedBenchmarkMessage }) < limited
                             ? Envelope(LimitedBenchmarkMessage(id: id)) : Envelope(BenchmarkMessage(id: id)))
        }
        _ = try await queue.send(contentsOf: envelopes)
        try await queue.connection.execute("VACUUM ANALYZE \(name)")
        let start = Date().timeIntervalSince1970
        let children = try (0..<workers).map { _ in try WorkerChild.start(["pg-flow-worker", url, name, mode, "0"]) }
        var lastOther = 0.0
        for (process, output) in children {
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            lastOther = max(lastOther, Double(text.split(separator: "\n").first ?? "") ?? 0)
        }
        let handledOthers = envelopes.count(where: { $0.message is BenchmarkMessage })
        await queue.close()
        await PostgresBenchmarks.drop(url: url, table: name)
        return Double(handledOthers) / (lastOther - start)
    }

    /// Starts per second of a type limited to 100/s, over 30 s from its first start (the first
    /// second's full bucket included), with 4 workers.
    static func rate(url: String, seconds: Int) async throws -> (perSecond: Double, total: Int) {
        let name = PostgresBenchmarks.table("flow_rate")
        await PostgresBenchmarks.drop(url: url, table: name)
        let queue = try transport(url: url, table: name, limits: limits("rate"))
        try await queue.setup()
        try await queue.connection.execute("DELETE FROM messenger_rate_limits WHERE name = '\(LimitedBenchmarkMessage.messageName)'")
        _ = try await queue.send(contentsOf: (0..<(100 * (seconds + 10))).map { Envelope(LimitedBenchmarkMessage(id: $0)) })
        let children = try (0..<workers).map { _ in try WorkerChild.start(["pg-flow-worker", url, name, "rate", String(seconds + 3)]) }
        var starts: [Double] = []
        for (process, output) in children {
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            starts += text.split(separator: "\n").dropFirst().compactMap { Double($0) }
        }
        await queue.close()
        await PostgresBenchmarks.drop(url: url, table: name)
        let first = starts.min() ?? 0
        let within = starts.filter { $0 < first + Double(seconds) }.count
        return (Double(within) / Double(seconds), within)
    }

    /// Child: consumes with `--concurrency 4` until empty (or for `seconds`), then prints its journal.
    static func runWorker(url: String, table: String, mode: String, seconds: Int) async throws {
        let journal = Journal()
        let queue = try transport(url: url, table: table, limits: limits(mode))
        let bus = MessageBus(registry: registry(journal: journal), senders: SendersLocator(routing: [:], senders: [:]))
        let options = WorkerOptions(timeLimit: seconds > 0 ? .seconds(seconds) : nil, sleep: .milliseconds(10), stopWhenEmpty: seconds == 0, concurrency: 4)
        let worker = Worker(transports: [WorkerTransport(name: "bench", transport: queue)], bus: bus, options: options, logger: PostgresBenchmarks.quietLogger)
        _ = await worker.run()
        await queue.close()
        print(journal.lines)
    }
}
