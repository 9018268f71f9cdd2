import Foundation

/// A five-field cron expression (`minute hour day-of-month month day-of-week`) or a macro
/// (`@hourly`, `@daily`, ...), and the times it fires in a time zone.
///
/// Fields take lists, ranges, steps and names (`jan`, `mon-fri`, 7 for Sunday). When both day fields are
/// restricted, a day matches if either does (the classic cron rule). Times are wall-clock times: one
/// skipped by a spring daylight-saving change fires once, at the end of the gap; one that occurs twice
/// in autumn fires once, the first time.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    /// The expression as written.
    public let source: String
    let minutes: CronField
    let hours: CronField
    let daysOfMonth: CronField
    let months: CronField
    let daysOfWeek: CronField

    /// The macros an expression may be (`@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`) and the fields each stands for.
    public static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    /// Parses five fields (or a macro); an error naming the field and what is wrong with it.
    public init(_ text: String) throws {
        source = text
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let expanded: String
        if trimmed.hasPrefix("@") {
            guard let macro = Self.macros[trimmed.lowercased()] else {
                throw CronError(field: nil, expression: text, problem: "unknown macro \(trimmed); known: \(Self.macros.keys.sorted().joined(separator: ", "))")
            }
            expanded = macro
        } else {
            expanded = trimmed
        }
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw CronError(field: nil, expression: text, problem: "expected 5 fields (minute hour day-of-month month day-of-week), got \(fields.count)")
        }
        minutes = try CronField(fields[0], kind: .minute, expression: text)
        hours = try CronField(fields[1], kind: .hour, expression: text)
        daysOfMonth = try CronField(fields[2], kind: .dayOfMonth, expression: text)
        months = try CronField(fields[3], kind: .month, expression: text)
        daysOfWeek = try CronField(fields[4], kind: .dayOfWeek, expression: text)
        try checkSatisfiable()
    }

    public var description: String { source }

    /// An expression that can never fire (`0 0 30 2 *`) is an error, not an endless search.
    private func checkSatisfiable() throws {
        guard daysOfMonth.restricted && !daysOfWeek.restricted else { return }
        let longest = months.values.map { $0 == 2 ? 29 : WallClock.daysInMonth(year: 2001, month: $0) }.max() ?? 0
        if let first = daysOfMonth.values.first, first > longest {
            throw CronError(field: "day of month", expression: source, problem: "day \(first) never occurs in the months allowed (\(months.values.map(String.init).joined(separator: ",")))")
        }
    }

    /// Whether a local calendar day can fire.
    func matchesDay(year: Int, month: Int, day: Int, weekday: Int) -> Bool {
        guard months.contains(month) else { return false }
        let dayOfMonth = daysOfMonth.contains(day)
        let dayOfWeek = daysOfWeek.contains(weekday)
        if daysOfMonth.restricted && daysOfWeek.restricted { return dayOfMonth || dayOfWeek }
        return dayOfMonth && dayOfWeek
    }

    /// Whether a wall-clock minute matches (ignoring daylight-saving rules).
    func matches(wallMinute wall: Int64) -> Bool {
        let days = Int((wall >= 0 ? wall : wall - 86_399) / 86_400)
        let seconds = Int(wall - Int64(days) * 86_400)
        let date = WallClock.date(days: days)
        return matchesDay(year: date.year, month: date.month, day: date.day, weekday: WallClock.weekday(days: days))
            && hours.contains(seconds / 3600) && minutes.contains(seconds % 3600 / 60)
    }

    /// The first time strictly after `date` at which the expression fires in `zone`; nil when it does
    /// not fire within the next 28 years (only leap-day expressions come close).
    public func nextOccurrence(after date: Date, in zone: TimeZone = TimeZone(identifier: "UTC")!) -> Date? {
        let after = Int64(date.timeIntervalSince1970.rounded(.down))
        let startWall = WallClock.wall(of: after, in: zone)
        var days = Int((startWall >= 0 ? startWall : startWall - 86_399) / 86_400)
        let minuteValues = minutes.values
        let hourValues = hours.values
        for _ in 0..<(366 * 28) {
            let (year, month, day) = WallClock.date(days: days)
            if matchesDay(year: year, month: month, day: day, weekday: WallClock.weekday(days: days)) {
                for hour in hourValues {
                    for minute in minuteValues {
                        let wall = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60)
                        // Earlier wall times of the start day cannot come after it, except around an
                        // autumn change, which the instant comparison settles.
                        if wall < startWall - 7200 { continue }
                        let instant = WallClock.instant(ofWall: wall, in: zone)
                        if instant > after { return Date(timeIntervalSince1970: TimeInterval(instant)) }
                    }
                }
            }
            days += 1
        }
        return nil
    }

    /// The next `count` firing times after `date`.
    public func occurrences(after date: Date, count: Int, in zone: TimeZone = TimeZone(identifier: "UTC")!) -> [Date] {
        var result: [Date] = []
        var cursor = date
        while result.count < count, let next = nextOccurrence(after: cursor, in: zone) {
            result.append(next)
            cursor = next
        }
        return result
    }
}
