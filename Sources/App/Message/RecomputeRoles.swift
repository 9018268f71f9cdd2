import Messenger

/// Recompute every user's application roles from the role assignments valid on a day (default today).
public struct RecomputeRoles: DailyJob, Equatable {
    public static let messageName = "App.RecomputeRoles"
    /// `2026-11-23`; nil: the day it is handled.
    public var on: String?
    public init(on: String? = nil) { self.on = on }
}
