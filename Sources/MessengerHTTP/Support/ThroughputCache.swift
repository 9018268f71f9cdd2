import Foundation
import Messenger
import Synchronization

/// Throughput figures, computed at most every `maxAge` seconds per window and shared by every
/// request: a dashboard open in many browsers costs the database one query set per period. A stale
/// figure is served at once while a fresh one is computed in the background.
final class ThroughputCache: Sendable {
    private struct Entry {
        var report: ThroughputReport?
        var computedAt: Date
        var refreshing: Bool
    }

    private let entries = Mutex<[String: Entry]>([:])
    let maxAge: TimeInterval
    let compute: @Sendable (_ window: Int, _ bucket: Int) async throws -> ThroughputReport

    init(maxAge: TimeInterval, compute: @escaping @Sendable (Int, Int) async throws -> ThroughputReport) {
        self.maxAge = maxAge
        self.compute = compute
    }

    func report(window: Int, bucket: Int) async throws -> ThroughputReport {
        let key = "\(window)/\(bucket)"
        let now = Date()
        // A stale entry is refreshed by the first request that sees it; the others keep its figure.
        let (cached, refresh) = entries.withLock { entries -> (ThroughputReport?, Bool) in
            guard let entry = entries[key], let report = entry.report else { return (nil, false) }
            let refresh = now.timeIntervalSince(entry.computedAt) > maxAge && !entry.refreshing
            if refresh { entries[key]!.refreshing = true }
            return (report, refresh)
        }
        if let cached {
            if refresh {
                Task { [self] in
                    let fresh = try? await compute(window, bucket)
                    entries.withLock { entries in
                        entries[key] = Entry(report: fresh ?? cached, computedAt: fresh == nil ? entries[key]?.computedAt ?? now : Date(), refreshing: false)
                    }
                }
            }
            return cached
        }
        let report = try await compute(window, bucket)
        entries.withLock { $0[key] = Entry(report: report, computedAt: Date(), refreshing: false) }
        return report
    }
}
