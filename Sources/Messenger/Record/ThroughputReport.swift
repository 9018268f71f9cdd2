import Foundation

/// Finished attempts over a window: how many completed and failed in each bucket of time (as the
/// workers count them), and the wait (available → started) and run (started → finished) times of
/// the latest finished records.
public struct ThroughputReport: Sendable, Codable, Equatable {
    /// One bucket of the window: its start and what finished in it.
    public struct Bucket: Sendable, Codable, Equatable {
        public var start: Date
        public var completed: Int
        public var failed: Int
    }

    /// Percentiles of a duration, in seconds (nil without samples), and the samples they come from.
    public struct Percentiles: Sendable, Codable, Equatable {
        public var p50: Double?
        public var p95: Double?
        public var p99: Double?
        public var samples: Int

        /// Nearest-rank percentiles of `milliseconds`.
        public init(milliseconds: [Int64]) {
            let sorted = milliseconds.sorted()
            func rank(_ fraction: Double) -> Double? {
                guard !sorted.isEmpty else { return nil }
                let index = min(sorted.count - 1, max(0, Int((fraction * Double(sorted.count)).rounded(.up)) - 1))
                return Double(sorted[index]) / 1000
            }
            p50 = rank(0.50)
            p95 = rank(0.95)
            p99 = rank(0.99)
            samples = sorted.count
        }
    }

    public var since: Date
    public var bucketSeconds: Int
    /// Every bucket of the window, oldest first; a bucket where nothing finished has zeros.
    public var buckets: [Bucket]
    public var waitSeconds: Percentiles
    public var runSeconds: Percentiles

    public var completed: Int { buckets.reduce(0) { $0 + $1.completed } }
    public var failed: Int { buckets.reduce(0) { $0 + $1.failed } }

    /// The report of a window from what the stores counted and timed (several stores' rows may be
    /// given together: counts of one bucket add up).
    public init(since: Date, until: Date, bucketSeconds: Int, counts: [FinishedCount], timings: [MessageTiming]) {
        let width = Int64(max(1, bucketSeconds)) * 1000
        let first = since.epochMilliseconds / width * width
        let last = until.epochMilliseconds / width * width
        var byStart: [Int64: Bucket] = [:]
        var start = first
        while start <= last {
            byStart[start] = Bucket(start: Date(timeIntervalSince1970: Double(start) / 1000), completed: 0, failed: 0)
            start += width
        }
        for count in counts {
            let key = count.bucketStartMilliseconds / width * width
            guard byStart[key] != nil else { continue }
            switch count.status {
            case .completed: byStart[key]!.completed += count.count
            case .failed: byStart[key]!.failed += count.count
            default: break
            }
        }
        self.since = since
        self.bucketSeconds = max(1, bucketSeconds)
        buckets = byStart.keys.sorted().map { byStart[$0]! }
        waitSeconds = Percentiles(milliseconds: timings.map(\.waitMilliseconds))
        runSeconds = Percentiles(milliseconds: timings.map(\.runMilliseconds))
    }
}

/// How many attempts finished with a status (completed, failed) in one bucket of time
/// (`MessageRecordStore.finishedCounts`), as the workers count them in their heartbeats.
public struct FinishedCount: Sendable, Equatable {
    /// How long the per-minute counts are kept (the longest window asked for is a week).
    public static let keptDays = 8

    /// The counts of a bucket, without the zero ones.
    public static func pair(bucketStartMilliseconds start: Int64, completed: Int, failed: Int) -> [FinishedCount] {
        [(MessageStatus.completed, completed), (.failed, failed)].compactMap { status, count in
            count > 0 ? FinishedCount(bucketStartMilliseconds: start, status: status, count: count) : nil
        }
    }

    public var bucketStartMilliseconds: Int64
    public var status: MessageStatus
    public var count: Int

    public init(bucketStartMilliseconds: Int64, status: MessageStatus, count: Int) {
        self.bucketStartMilliseconds = bucketStartMilliseconds
        self.status = status
        self.count = count
    }
}

/// How long a finished message waited once available, and how long its last attempt ran.
public struct MessageTiming: Sendable, Equatable {
    public var waitMilliseconds: Int64
    public var runMilliseconds: Int64

    public init(waitMilliseconds: Int64, runMilliseconds: Int64) {
        self.waitMilliseconds = max(0, waitMilliseconds)
        self.runMilliseconds = max(0, runMilliseconds)
    }
}
