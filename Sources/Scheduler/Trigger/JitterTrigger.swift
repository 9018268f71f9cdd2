import Foundation

/// Delays each run of another trigger by up to `maxSeconds`, by an amount drawn from the run's own
/// time and a seed, so that every worker computes the same delayed time and many tasks do not start
/// in the same second.
public struct JitterTrigger: Trigger {
    /// The trigger whose runs are moved.
    public let inner: any Trigger
    /// The most a run is moved, in seconds.
    public let maxSeconds: Int
    /// What makes the moves the same in every process.
    public let seed: String

    /// `inner`'s runs, each moved later by up to `maxSeconds`, by an amount fixed by `seed` and the run.
    public init(_ inner: any Trigger, maxSeconds: Int, seed: String) throws {
        guard maxSeconds >= 0 else { throw TriggerError("jitter must not be negative, got \(maxSeconds) s") }
        self.inner = inner
        self.maxSeconds = maxSeconds
        self.seed = seed
    }

    /// The delay added to the inner run at `date`.
    public func delay(for date: Date) -> TimeInterval {
        guard maxSeconds > 0 else { return 0 }
        return TimeInterval(HashedCron.stableHash("\(seed)@\(Int64(date.timeIntervalSince1970))") % UInt64(maxSeconds + 1))
    }

    /// The earliest jittered run after `date`. Runs up to `maxSeconds` before it may land after it, and
    /// when the jitter exceeds the interval a later run may land first: scan until no run can do better.
    public func nextRun(after date: Date) -> Date? {
        var cursor = date.addingTimeInterval(-TimeInterval(maxSeconds) - 1)
        var best: Date?
        while let run = inner.nextRun(after: cursor) {
            if let best, run >= best { break }
            let jittered = run.addingTimeInterval(delay(for: run))
            if jittered > date, best.map({ jittered < $0 }) ?? true { best = jittered }
            cursor = run
        }
        return best
    }

    public var description: String { "\(inner) with up to \(maxSeconds) s jitter" }
}
