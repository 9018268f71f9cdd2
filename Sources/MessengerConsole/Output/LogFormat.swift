import ArgumentParser

/// How the console writes its log lines: `human` (time, level, label, message, `key=value`
/// metadata) or `json` (one JSON object per line, for a log pipeline).
public enum LogFormat: String, CaseIterable, Sendable, ExpressibleByArgument {
    /// Time, level, label, message and `key=value` metadata on one line.
    case human
    /// One JSON object per line.
    case json

    /// `LOG_FORMAT` from the process environment; an error naming it when it is neither value.
    static func fromEnvironment(_ environment: [String: String]) throws -> LogFormat? {
        guard let text = environment["LOG_FORMAT"], !text.isEmpty else { return nil }
        guard let format = LogFormat(rawValue: text.lowercased()) else {
            throw ValidationError("LOG_FORMAT must be human or json, got \"\(text)\"")
        }
        return format
    }
}
