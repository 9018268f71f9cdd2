import Foundation

/// A trigger as declared, kept apart from the built `Trigger` so that configuration can change it and
/// `scheduler:list` can show it as written.
public enum TriggerSpec: Sendable, CustomStringConvertible {
    /// A cron expression (hashed ones allowed) read in a time zone.
    case cron(String, timeZone: TimeZone)
    /// A fixed interval in seconds, counted from `from` (default: the Unix epoch, so that every process
    /// computes the same instants), until `until` if given.
    case every(TimeInterval, from: Date?, until: Date?)
    /// Any other trigger, built in code.
    case custom(any Trigger)

    /// The trigger these settings describe; `context` (the task's identity) seeds hashed cron fields.
    public func build(context: String) throws -> any Trigger {
        switch self {
        case .cron(let expression, let zone): return try CronTrigger(expression, timeZone: zone, context: context)
        case .every(let interval, let from, let until):
            return try IntervalTrigger(every: interval, from: from ?? Date(timeIntervalSince1970: 0), until: until)
        case .custom(let trigger): return trigger
        }
    }

    /// As written: `30 2 * * * (Europe/Paris)`, `every 10 minutes`.
    public var description: String {
        switch self {
        case .cron(let expression, let zone): return zone.identifier == "UTC" ? expression : "\(expression) (\(zone.identifier))"
        case .every(let interval, let from, let until):
            var text = "every \(IntervalTrigger.wording(interval))"
            if let from { text += " from \(from.formatted(.iso8601))" }
            if let until { text += " until \(until.formatted(.iso8601))" }
            return text
        case .custom(let trigger): return trigger.description
        }
    }
}
