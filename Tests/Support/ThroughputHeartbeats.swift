import Foundation
import Messenger

/// The throughput contract's scenario, for any store whose clock reads `now`: worker A beats with
/// 3 handled (1 failed), then 5 (twice: the same totals again add nothing), worker B with 4 (4
/// failed). The store should then count 4 completed and 5 failed attempts.
public enum ThroughputHeartbeats {
    public struct Outcome: Sendable {
        public let completed: Int
        public let failed: Int
        /// Every bucket of the hourly read starts on an hour.
        public let alignedToHours: Bool
        /// What a window starting after the beats reads (should be nothing).
        public let later: [FinishedCount]
    }

    public static func run(registry: any WorkerRegistry, records: any MessageRecordStore, now: Date) async throws -> Outcome {
        var first = WorkerRecord(id: UUID().uuidString, host: "h", pid: 1, receivers: ["async"], startedAt: now, heartbeatAt: now, handled: 3, failed: 1)
        try await registry.heartbeat(first)
        first.handled = 5
        try await registry.heartbeat(first)
        try await registry.heartbeat(first)
        try await registry.heartbeat(WorkerRecord(id: UUID().uuidString, host: "h", pid: 2, receivers: ["async"], startedAt: now, heartbeatAt: now,
                                                  handled: 4, failed: 4))
        try await registry.forgetWorkers(before: now.addingTimeInterval(-86_400))
        let counts = try await records.finishedCounts(since: now.addingTimeInterval(-86_400), bucketSeconds: 3600)
        return Outcome(
            completed: counts.filter { $0.status == .completed }.reduce(0) { $0 + $1.count },
            failed: counts.filter { $0.status == .failed }.reduce(0) { $0 + $1.count },
            alignedToHours: counts.allSatisfy { $0.bucketStartMilliseconds % 3_600_000 == 0 },
            later: try await records.finishedCounts(since: now.addingTimeInterval(120), bucketSeconds: 60)
        )
    }
}
