import Foundation
import Messenger

/// Reads `messenger: limits:`: one entry per message wire name, `Prefix.*` or `queue:NAME`, each with
/// `concurrency`, `rate_limit: {limit, interval}` and `group_failure: hold | continue`.
enum LimitsConfigParser {
    static func parse(_ node: ConfigNode, environment: Environment) throws -> FlowLimits {
        var rules: [FlowRule] = []
        for (key, entry) in try node.entries() {
            guard let scope = FlowRule.scope(parsing: key) else {
                throw entry.error("\"\(key)\" is not a limits key; expected a message wire name (App.SendMail), a prefix (App.*) or queue:NAME")
            }
            let keys = try entry.entries(allowed: ["concurrency", "rate_limit", "group_failure"])
            guard !keys.isEmpty else { throw entry.error("sets no limit; give concurrency, rate_limit or group_failure") }
            var rule = FlowRule(scope)
            if let value = keys["concurrency"] { rule.concurrency = try value.int(environment, in: 1...100_000) }
            if let value = keys["rate_limit"] { rule.rateLimit = try rateLimit(value, environment: environment) }
            if let value = keys["group_failure"] {
                switch try value.string(environment) {
                case "hold": rule.holdsGroupOnFailure = true
                case "continue": rule.holdsGroupOnFailure = false
                case let other: throw value.error("expected hold (a failed message holds its group until its retry) or continue, got \"\(other)\"")
                }
            }
            rules.append(rule)
        }
        return FlowLimits(rules)
    }

    private static func rateLimit(_ node: ConfigNode, environment: Environment) throws -> RateLimit {
        let keys = try node.entries(allowed: ["limit", "interval"])
        guard let limit = keys["limit"] else { throw node.error("needs limit (starts per interval)") }
        guard let interval = keys["interval"] else { throw node.error("needs interval (e.g. 1s, 500ms, 1 minute)") }
        let count = try limit.int(environment, in: 1...1_000_000)
        let text = try interval.string(environment)
        guard let milliseconds = milliseconds(text), (1...86_400_000).contains(milliseconds) else {
            throw interval.error("expected a duration from 1ms to 1 day such as 1s, 500ms, 10 seconds or 1 minute, got \"\(text)\"")
        }
        return RateLimit(limit: count, intervalMilliseconds: milliseconds)
    }

    /// `500ms`, `1s`, `1.5 s`, `2 minutes`, `1h`; nil when unreadable.
    static func milliseconds(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let number = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = trimmed.dropFirst(number.count).trimmingCharacters(in: .whitespaces).lowercased()
        guard let value = Double(number), value > 0 else { return nil }
        let units: [String: Double] = [
            "ms": 1, "millisecond": 1, "milliseconds": 1, "s": 1000, "sec": 1000, "second": 1000, "seconds": 1000,
            "m": 60_000, "min": 60_000, "minute": 60_000, "minutes": 60_000, "h": 3_600_000, "hour": 3_600_000, "hours": 3_600_000,
        ]
        guard let factor = units[unit] else { return nil }
        let result = value * factor
        return result.rounded() == result ? Int64(result) : nil
    }
}
