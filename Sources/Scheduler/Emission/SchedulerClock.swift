import Foundation

/// The time a schedule runs on.
public protocol SchedulerClock: Sendable {
    /// The current time on this clock.
    func now() -> Date
    /// The real (system) time at which this clock will show `date`: when a worker should wake for it.
    func realDate(for date: Date) -> Date
}

/// The system clock.
public struct SystemSchedulerClock: SchedulerClock {
    /// The system clock.
    public init() {}
    public func now() -> Date { Date() }
    public func realDate(for date: Date) -> Date { date }
}

/// A clock that shows `start` at the real instant `anchor` and runs `speed` times faster than real
/// time: a day of a schedule rehearsed in seconds. Every process given the same three values shows
/// the same time.
public struct AcceleratedSchedulerClock: SchedulerClock {
    /// The time shown at `anchor`.
    public let start: Date
    /// How many times faster than real time it runs.
    public let speed: Double
    /// The real instant that shows `start`.
    public let anchor: Date

    /// A clock showing `start` at `anchor` (now by default), `speed` times faster than real time.
    public init(start: Date, speed: Double, anchor: Date = Date()) {
        self.start = start
        self.speed = speed
        self.anchor = anchor
    }

    public func now() -> Date { start.addingTimeInterval(Date().timeIntervalSince(anchor) * speed) }

    public func realDate(for date: Date) -> Date { anchor.addingTimeInterval(date.timeIntervalSince(start) / speed) }

    /// Reads `start=2026-03-28T00:00:00Z speed=3600 anchor=1763900000.5` (anchor in seconds since the
    /// Unix epoch, default now), the format of `SCHEDULER_CLOCK`.
    public init(parsing text: String) throws {
        var values: [String: String] = [:]
        for part in text.split(separator: " ") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, ["start", "speed", "anchor"].contains(pair[0]) else {
                throw ScheduleError("SCHEDULER_CLOCK: expected start=ISO-8601 speed=N [anchor=EPOCH-SECONDS], got \"\(text)\"")
            }
            values[pair[0]] = pair[1]
        }
        guard let startText = values["start"], let start = try? Date(startText, strategy: .iso8601) else {
            throw ScheduleError("SCHEDULER_CLOCK: start must be an ISO 8601 time such as 2026-03-28T00:00:00Z, in \"\(text)\"")
        }
        guard let speed = Double(values["speed"] ?? "1"), speed > 0, speed.isFinite else {
            throw ScheduleError("SCHEDULER_CLOCK: speed must be a positive number, in \"\(text)\"")
        }
        var anchor = Date()
        if let anchorText = values["anchor"] {
            guard let seconds = Double(anchorText) else { throw ScheduleError("SCHEDULER_CLOCK: anchor must be seconds since the Unix epoch, in \"\(text)\"") }
            anchor = Date(timeIntervalSince1970: seconds)
        }
        self.init(start: start, speed: speed, anchor: anchor)
    }
}
