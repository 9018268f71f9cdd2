/// `swift run -c release MessengerBenchmarks` prints the table; the other verbs are its child processes.
@main
enum BenchmarkMain {
    static func main() async throws {
        let arguments = CommandLine.arguments
        MetricsBenchmarks.bootstrapIfAsked()
        switch arguments.count > 1 ? arguments[1] : "" {
        case "worker": try await SQLiteBenchmarks.runWorker(path: arguments[2])
        // A table to consume under a profiler: `fill PATH COUNT`, then `worker PATH`.
        case "fill": try await SQLiteBenchmarks.fill(path: arguments[2], count: Int(arguments[3]) ?? 10_000)
        case "pg-worker": try await PostgresBenchmarks.runWorker(url: arguments[2], table: arguments[3], concurrency: Int(arguments[4]) ?? 1)
        case "park-worker": try await SQLiteBenchmarks.runParkWorker(path: arguments[2], atomic: arguments[3] == "atomic")
        case "pg-park-worker": try await PostgresBenchmarks.runParkWorker(url: arguments[2], table: arguments[3], atomic: arguments[4] == "atomic")
        case "pg-flow-worker": try await FlowBenchmarks.runWorker(url: arguments[2], table: arguments[3], mode: arguments[4], seconds: Int(arguments[5]) ?? 0)
        case "pg-pool-worker":
            try await PoolerBenchmarks.runWorker(url: arguments[2], table: arguments[3], concurrency: Int(arguments[4]) ?? 1,
                                                 route: PoolerBenchmarks.Route(rawValue: arguments[5]) ?? .direct, prefetch: Int(arguments[6]) ?? 500)
        case "pg-pool-latency":
            try await PoolerBenchmarks.runLatencyWorker(url: arguments[2], table: arguments[3], count: Int(arguments[4]) ?? 100,
                                                        route: PoolerBenchmarks.Route(rawValue: arguments[5]) ?? .direct, listenURL: arguments[6])
        case "pg-latency": try await PostgresBenchmarks.runLatencyWorker(url: arguments[2], table: arguments[3], count: Int(arguments[4]) ?? 100)
        case "record-worker":
            try await RecordBenchmarks.runWorker(backend: arguments[2], location: arguments[3], table: arguments[4], tracking: arguments[5],
                                                 limit: Int(arguments[6]), keepCompleted: Int(arguments[7]))
        default: try await BenchmarkRun.main()
        }
    }
}
