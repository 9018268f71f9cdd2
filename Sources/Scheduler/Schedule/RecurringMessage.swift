import Foundation
import Messenger

/// A message emitted by a schedule each time its trigger fires.
///
/// `name` identifies the task within its schedule: overrides, `scheduler:run` and the occurrence
/// records use it, and it seeds hashed cron fields. It defaults to the message's wire name.
public struct RecurringMessage: Sendable {
    /// Its name in the schedule, unique there.
    public let name: String
    /// The message dispatched at each occurrence.
    public let message: any Message
    /// When it runs.
    public var trigger: TriggerSpec
    /// Extra delay of up to this many seconds per run, the same on every process.
    public var jitterSeconds: Int
    /// False to keep it declared but not run (`config/scheduler.yaml` may say so).
    public var enabled: Bool
    /// What becomes of the occurrences missed while no worker ran the schedule.
    public var catchUp: CatchUpPolicy
    /// An occurrence found due at most this late is on time, whatever `catchUp` says.
    public var misfireGraceSeconds: Int
    /// With `catchUp: .all`, at most this many missed occurrences run; older ones are skipped.
    public var maxCatchUp: Int

    /// A recurring message named `name` (its occurrences are recorded under it: keep it stable).
    public init(
        _ message: any Message, trigger: TriggerSpec, name: String? = nil, jitterSeconds: Int = 0, enabled: Bool = true,
        catchUp: CatchUpPolicy = .last, misfireGraceSeconds: Int = 60, maxCatchUp: Int = 100
    ) {
        self.name = name ?? type(of: message).messageName
        self.message = message
        self.trigger = trigger
        self.jitterSeconds = jitterSeconds
        self.enabled = enabled
        self.catchUp = catchUp
        self.misfireGraceSeconds = misfireGraceSeconds
        self.maxCatchUp = maxCatchUp
    }

    /// Fires on a cron expression (`30 2 * * *`, `@daily`, `#weekly`) in a time zone.
    public static func cron(_ expression: String, timeZone: String = "UTC", _ message: any Message, name: String? = nil) throws -> RecurringMessage {
        guard let zone = TimeZone(identifier: timeZone) else { throw TriggerError.unknownTimeZone(timeZone) }
        return RecurringMessage(message, trigger: .cron(expression, timeZone: zone), name: name)
    }

    /// Fires every interval (`10 minutes`, `1 day`), counted from `from` (default: the Unix epoch).
    public static func every(_ interval: String, from: Date? = nil, until: Date? = nil, _ message: any Message, name: String? = nil) throws -> RecurringMessage {
        RecurringMessage(message, trigger: .every(try IntervalTrigger.parseInterval(interval), from: from, until: until), name: name)
    }

    /// The trigger that decides when this task runs, jitter included; hashed fields seeded by
    /// `schedule/name`.
    public func makeTrigger(schedule: String) throws -> any Trigger {
        let base = try trigger.build(context: "\(schedule)/\(name)")
        guard jitterSeconds > 0 else { return base }
        return try JitterTrigger(base, maxSeconds: jitterSeconds, seed: "\(schedule)/\(name)")
    }

    /// The message as JSON, shortened: what `scheduler:list` shows next to its type.
    public var summary: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(message), let text = String(data: data, encoding: .utf8) else { return "" }
        return text.count > 80 ? String(text.prefix(79)) + "…" : text
    }
}
