import Foundation

/// Runs every benchmark and prints the table. Sizes: `BENCH_DISPATCH`, `BENCH_CONSUME`.
enum BenchmarkRun {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        let dispatchCount = Int(environment["BENCH_DISPATCH"] ?? "") ?? 3000
        let consumeCount = Int(environment["BENCH_CONSUME"] ?? "") ?? 100_000
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("messenger-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        print("SQLite transport, WAL, one file on local disk; \(ProcessInfo.processInfo.activeProcessorCount) cores; no-op handler; ~150-byte messages; worker batch ≤ 100 (adaptive)\n")
        var table = BenchmarkTable()
        for synchronous in ["FULL", "NORMAL"] {
            let value = try await SQLiteBenchmarks.dispatch(count: dispatchCount, synchronous: synchronous, directory: directory)
            table.add("dispatch, one by one (1 transaction each)", "N=\(dispatchCount), synchronous=\(synchronous)", rate(value))
        }
        var peak = 0
        for workers in [1, 2] {
            let result = try await SQLiteBenchmarks.consume(count: consumeCount, workers: workers, directory: directory)
            peak = max(peak, result.peakRSSBytes)
            table.add("consume, \(workers) worker process\(workers > 1 ? "es" : "")", "N=\(consumeCount), synchronous=FULL", rate(result.messagesPerSecond))
        }
        table.add("worker peak RSS (VmHWM)", "during the consume runs above", String(format: "%.1f MB", Double(peak) / 1_048_576))
        print(table.render())
    }

    static func rate(_ value: Double) -> String { String(format: "%.0f msg/s", value) }
}
