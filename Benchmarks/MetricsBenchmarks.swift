import CoreMetrics
import Foundation
import Prometheus

/// What reporting metrics costs a worker: the same consume runs with swift-metrics' default (no
/// backend) and with swift-prometheus bootstrapped in the worker processes, alternated.
enum MetricsBenchmarks {
    /// Set in a worker child's environment: it bootstraps Prometheus' factory before working.
    static let variable = "BENCH_WORKER_METRICS"

    static func bootstrapIfAsked() {
        guard ProcessInfo.processInfo.environment[variable] == "prometheus" else { return }
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: PrometheusCollectorRegistry()))
    }

    /// Rounds of (off, on) runs of each consume; the median of each side.
    static func section(environment: [String: String], directory: String) async throws {
        let rounds = Int(environment["BENCH_METRICS_ROUNDS"] ?? "") ?? 3
        let count = Int(environment["BENCH_METRICS_CONSUME"] ?? "") ?? 50_000
        var table = BenchmarkTable()
        var runs: [(String, String, () async throws -> SQLiteBenchmarks.ConsumeResult)] = [
            ("consume, SQLite, 1 worker process", "N=\(count)", { try await SQLiteBenchmarks.consume(count: count, workers: 1, directory: directory) }),
        ]
        if let url = environment["MESSENGER_BENCH_POSTGRES_URL"] {
            for concurrency in [1, 16] {
                runs.append(("consume, PostgreSQL, 1 worker process, --concurrency \(concurrency)", "N=\(count)", {
                    try await PostgresBenchmarks.consume(url: url, count: count, workers: 1, concurrency: concurrency)
                }))
            }
        }
        for (name, size, run) in runs {
            var (off, on): ([SQLiteBenchmarks.ConsumeResult], [SQLiteBenchmarks.ConsumeResult]) = ([], [])
            for _ in 0..<rounds {
                unsetenv(variable)
                off.append(try await run())
                setenv(variable, "prometheus", 1)
                on.append(try await run())
            }
            unsetenv(variable)
            let (rateOff, rateOn) = (median(off.map(\.messagesPerSecond)), median(on.map(\.messagesPerSecond)))
            let (cpuOff, cpuOn) = (median(off.map(\.cpuMicrosecondsPerMessage)), median(on.map(\.cpuMicrosecondsPerMessage)))
            table.add("\(name), metrics off", "\(size), medians of \(rounds)", BenchmarkRun.rate(rateOff, cpu: cpuOff))
            table.add("\(name), Prometheus metrics on", "\(size), medians of \(rounds)",
                      BenchmarkRun.rate(rateOn, cpu: cpuOn) + String(format: ", %.1f %% of off", rateOn / rateOff * 100))
        }
        print("\nMetrics: the worker's swift-metrics reporting, off (no backend) and on (swift-prometheus), alternated\n")
        print(table.render())
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
