import Foundation

/// How long finished status records are kept: by age (completed and cancelled ones 24 h, failed
/// ones 7 days by default) and, optionally, by count (the newest N finished records of a database).
public struct RecordRetention: Sendable, Equatable {
    /// How long a completed record is kept.
    public var completed: Duration
    /// How long a failed or cancelled record is kept.
    public var failed: Duration
    /// At most this many finished records kept (the oldest go first); no bound when nil.
    public var maxFinished: Int?

    /// Completed records kept `completed`, failed ones `failed`, at most `maxFinished` finished ones (no bound when nil).
    public init(completed: Duration = .seconds(86_400), failed: Duration = .seconds(7 * 86_400), maxFinished: Int? = nil) {
        self.completed = completed
        self.failed = failed
        self.maxFinished = maxFinished
    }

    /// The creation limits in epoch milliseconds before which finished records go, at `now`.
    public func cutoffs(now: Date) -> (completed: Int64, failed: Int64) {
        let nowMilliseconds = now.epochMilliseconds
        return (nowMilliseconds - completed.wholeMilliseconds, nowMilliseconds - failed.wholeMilliseconds)
    }
}
