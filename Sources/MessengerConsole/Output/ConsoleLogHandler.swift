import Foundation
import Logging

/// Writes log lines to standard error: time, level, label, message, then sorted `key=value`
/// metadata; or, in the `json` format, one JSON object per line (`JSONLogLine`), with the trace and
/// span ids of the span the line is logged in.
public struct ConsoleLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let label: String
    let format: LogFormat

    /// A handler for `label` writing from `level` up, in `format`.
    public init(label: String, level: Logger.Level, format: LogFormat = .human) {
        self.label = label
        self.logLevel = level
        self.format = format
    }

    private static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        if format == .json {
            return Self.writeToStandardError(JSONLogLine.line(time: Date(), level: event.level, label: label, message: "\(event.message)", metadata: all,
                                                              trace: JSONLogLine.TraceIdentifiers.current()))
        }
        let fields = all.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        let time = Date().formatted(Self.timeFormat)
        let line = "\(time) \(event.level.rawValue.uppercased()) [\(label)] \(event.message)\(fields)\n"
        Self.writeToStandardError(line)
    }

    /// Writes the whole line, or as much as standard error takes: a closed pipe or a full disk loses
    /// log lines, never the process (SIGPIPE is ignored by the console; see `ConsoleApplication.run`).
    static func writeToStandardError(_ line: String) {
        Array(line.utf8).withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 { offset += written } else if written < 0 && errno == EINTR { continue } else { return }
            }
        }
    }
}
