import Foundation
import Messenger

/// Marks a message emitted by a schedule: which schedule, which task, which occurrence. It travels
/// with the message, so a handler can tell the occurrence it serves.
public struct ScheduledStamp: TransportableStamp, Equatable {
    public static let stampName = "Scheduler.Scheduled"
    /// The schedule's name.
    public let schedule: String
    /// The recurring message's name.
    public let task: String
    /// The occurrence the message was emitted for; nil for a run asked for with `scheduler:run`.
    public let occurrence: Date?

    /// The stamp of the occurrence of `task` of `schedule` at `occurrence` (nil: run by hand).
    public init(schedule: String, task: String, occurrence: Date?) {
        self.schedule = schedule
        self.task = task
        self.occurrence = occurrence
    }
}

extension ScheduledStamp: OriginStamp {
    /// `schedule:<schedule>/<task>@<occurrence>` (`@run` for a run asked for by hand).
    public var origin: String {
        "schedule:\(schedule)/\(task)@" + (occurrence.map { String($0.epochMilliseconds) } ?? "run")
    }
}
