import Messenger

/// Mail the day's reminders: to staff whose HR period ends in 4 days, and to the contacts of the
/// interventions of the next 3 days.
public struct SendReminders: DailyJob, Equatable {
    public static let messageName = "App.SendReminders"
    /// `2026-11-23`; nil: the day it is handled.
    public var on: String?
    public init(on: String? = nil) { self.on = on }
}
