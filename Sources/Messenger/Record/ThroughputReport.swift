import Foundation

/// Finished attempts over a window: how many completed and failed in each bucket of time (as the
/// workers count them), and the wait (available → started) and run (started → finished) times of
/// the latest finished records.
public struct ThroughputReport: Sendable, Codable, Equatable {
    /// One bucket of the window: its start and what finished in it.
    public struct Bucket: Sendable, Codable, Equatable {
        /// The start of the bucket.
        public var start: Date
        /// Attempts that completed in the bucket.
        public var completed: Int
        /// Attempts that failed in the bucket.
        public var failed: Int
    }

    /// Percentiles of a duration, in seconds (nil without samples), and the samples they come from.
    public struct Percentiles: Sendable, Codable, Equatable {
        /// The median, in seconds (nil without samples).
        public var p50: Double?
        /// The 95th percentile, in seconds.
        public var p95: Double?
        /// The 99th percentile, in seconds.
        public var p99: Double?
        /// How many records the percentiles are taken from.
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

    /// The start of the window.
    public var since: Date
    /// The length of a bucket, in seconds.
    public var bucketSeconds: Int
    /// Every bucket of the window, oldest first; a bucket where nothing finished has zeros.
    public var buckets: [Bucket]
    /// How long the latest finished messages waited to start.
    public var waitSeconds: Percentiles
    /// How long the latest finished messages ran.
    public var runSeconds: Percentiles

    /// Attempts completed over the whole window.
    public var completed: Int { buckets.reduce(0) { $0 + $1.completed } }
    /// Attempts failed over the whole window.
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

    /// The start of its bucket, in milliseconds since 1970.
    public var bucketStartMilliseconds: Int64
    /// How the attempts ended (completed or failed).
    public var status: MessageStatus
    /// How many ended so in the bucket.
    public var count: Int

    /// `count` attempts that ended with `status` in the bucket starting at `bucketStartMilliseconds`.
    public init(bucketStartMilliseconds: Int64, status: MessageStatus, count: Int) {
        self.bucketStartMilliseconds = bucketStartMilliseconds
        self.status = status
        self.count = count
    }
}

/// How long a finished message waited once available, and how long its last attempt ran.
public struct MessageTiming: Sendable, Equatable {
    /// How long it waited between being due and starting, in milliseconds.
    public var waitMilliseconds: Int64
    /// How long its handling ran, in milliseconds.
    public var runMilliseconds: Int64

    /// The timing of one finished message.
    public init(waitMilliseconds: Int64, runMilliseconds: Int64) {
        self.waitMilliseconds = max(0, waitMilliseconds)
        self.runMilliseconds = max(0, runMilliseconds)
    }
}
