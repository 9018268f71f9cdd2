import Foundation

/// How long finished status records are kept: by age (completed and cancelled ones 24 h, failed
/// ones 7 days by default) and, optionally, by count (the newest N finished records of a database).
public struct RecordRetention: Sendable, Equatable {
    public var completed: Duration
    public var failed: Duration
    public var maxFinished: Int?

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
