import Foundation

/// Human wording for durations, sizes and texts in command output.
enum Formatting {
    /// `45s`, `12m 5s`, `3h 20m`, `2d 4h`.
    static func age(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.down))
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m \(total % 60)s" }
        if total < 86_400 { return "\(total / 3600)h \(total % 3600 / 60)m" }
        return "\(total / 86_400)d \(total % 86_400 / 3600)h"
    }

    static func date(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon))
    }

    /// The text cut to `length` characters with an ellipsis, on one line.
    static func short(_ text: String, _ length: Int) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count <= length ? flat : String(flat.prefix(length - 1)) + "…"
    }

    /// Parses `128M`, `1G`, `512K`, `1048576` into bytes.
    static func bytes(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        if let last = trimmed.last, let unit = units[last] {
            return Int(trimmed.dropLast()).flatMap { $0 > 0 ? $0 * unit : nil }
        }
        return Int(trimmed).flatMap { $0 > 0 ? $0 : nil }
    }
}
