import Foundation

/// Fires every fixed interval, counted from `from`, until `until` if given: `every: 10 minutes`.
public struct IntervalTrigger: Trigger {
    /// The interval, in seconds.
    public let interval: TimeInterval
    /// The first run.
    public let from: Date
    /// No run after this date, when given.
    public let until: Date?

    /// Runs every `interval` seconds from `from` until `until`; an error when the interval is not positive.
    public init(every interval: TimeInterval, from: Date, until: Date? = nil) throws {
        guard interval > 0, interval.isFinite else { throw TriggerError("the interval must be longer than zero, got \(interval) s") }
        if let until, until < from {
            throw TriggerError("until (\(until.formatted(.iso8601))) is before from (\(from.formatted(.iso8601)))")
        }
        self.interval = interval
        self.from = from
        self.until = until
    }

    /// Reads `10 minutes`, `1 hour`, `30 seconds`, `2 days`, `1 week` (singular or plural).
    public static func parseInterval(_ text: String) throws -> TimeInterval {
        let parts = text.split(separator: " ")
        guard parts.count == 2, let count = Double(parts[0]) else {
            throw TriggerError("expected an interval such as \"10 minutes\", got \"\(text)\"")
        }
        let units: [String: TimeInterval] = ["second": 1, "minute": 60, "hour": 3600, "day": 86_400, "week": 604_800]
        let unit = parts[1].lowercased()
        guard let seconds = units[unit] ?? units[String(unit.dropLast())], unit.hasSuffix("s") || units[unit] != nil else {
            throw TriggerError("unknown unit \"\(parts[1])\" in \"\(text)\"; use seconds, minutes, hours, days or weeks")
        }
        guard count > 0 else { throw TriggerError("the interval must be longer than zero, got \"\(text)\"") }
        return count * seconds
    }

    /// The first whole interval from `from` after `date`; nil past `until`.
    public func nextRun(after date: Date) -> Date? {
        let elapsed = date.timeIntervalSince(from)
        let steps = elapsed < 0 ? 0 : (elapsed / interval).rounded(.down) + 1
        let next = from.addingTimeInterval(steps * interval)
        if let until, next > until { return nil }
        return next
    }

    public var description: String {
        "every \(Self.wording(interval)) from \(from.formatted(.iso8601))" + (until.map { " until \($0.formatted(.iso8601))" } ?? "")
    }

    static func wording(_ seconds: TimeInterval) -> String {
        for (unit, size) in [("week", 604_800.0), ("day", 86_400), ("hour", 3600), ("minute", 60)] where seconds.truncatingRemainder(dividingBy: size) == 0 {
            let count = Int(seconds / size)
            return "\(count) \(unit)\(count == 1 ? "" : "s")"
        }
        return "\(seconds) seconds"
    }
}
