import Messenger

/// Recompute every beneficiary's "avis ESE" state (the student-health service's opinion on their
/// accommodation file) for a day, default today, and remind by mail those whose avis expires soon.
public struct RecomputeAvisEse: DailyJob, Equatable {
    public static let messageName = "App.RecomputeAvisEse"
    /// `2026-11-23`; nil: the day it is handled.
    public var on: String?
    public init(on: String? = nil) { self.on = on }
}
