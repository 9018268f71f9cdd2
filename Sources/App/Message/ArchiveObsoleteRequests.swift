import Messenger

/// Requests never submitted in campaigns whose archive date has passed become `refused`; each student
/// is told by mail.
public struct ArchiveObsoleteRequests: DailyJob, Equatable {
    public static let messageName = "App.ArchiveObsoleteRequests"
    /// `2026-11-23`; nil: the day it is handled.
    public var on: String?
    public init(on: String? = nil) { self.on = on }
}
