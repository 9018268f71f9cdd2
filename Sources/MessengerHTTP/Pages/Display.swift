import Foundation

/// How times, ages and durations read on the pages.
enum Display {
    /// `2026-11-28 20:15:03` in UTC.
    static func time(_ date: Date?) -> String {
        guard let date else { return "" }
        return date.formatted(Date.ISO8601FormatStyle(dateTimeSeparator: .space, timeZone: TimeZone(identifier: "UTC")!)
            .year().month().day().time(includingFractionalSeconds: false)) + " UTC"
    }

    /// `2026-11-29 02:21 Europe/Paris`: a schedule's time, in the schedule's zone (`UTC` for UTC).
    static func time(_ date: Date, in zoneName: String) -> String {
        let zone = TimeZone(identifier: zoneName) ?? .gmt
        let local = date.formatted(Date.ISO8601FormatStyle(dateTimeSeparator: .space, timeZone: zone).year().month().day().time(includingFractionalSeconds: false))
        // Date and time to the minute; the zone's name follows instead of its offset.
        let clock = local.prefix(16)
        return clock + " " + (zone.secondsFromGMT(for: date) == 0 && ["UTC", "GMT", "Etc/UTC"].contains(zoneName) ? "UTC" : zoneName)
    }

    /// A progress fraction as a whole percentage.
    static func percent(_ fraction: Double) -> Int { Int((fraction * 100).rounded()) }

    /// `4 s`, `3 min`, `2 h 5 min`, `3 d 4 h`.
    static func age(_ seconds: Double?) -> String {
        guard let seconds else { return "—" }
        let whole = Int(max(0, seconds))
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return "\(whole / 60) min" }
        if whole < 86_400 { return "\(whole / 3600) h \(whole % 3600 / 60) min" }
        return "\(whole / 86_400) d \(whole % 86_400 / 3600) h"
    }

    /// A duration in seconds: `35 ms`, `1.2 s`, `4 min`.
    static func duration(_ seconds: Double?) -> String {
        guard let seconds else { return "—" }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        return age(seconds)
    }
}
