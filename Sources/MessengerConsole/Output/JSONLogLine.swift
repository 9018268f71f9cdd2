import Foundation
import Logging
import Messenger

/// A log event as one JSON object on one line: `time` (ISO 8601, UTC, milliseconds), `level`,
/// `label`, `message`, `trace_id` and `span_id` when logged in a span, and `metadata` (nested
/// values kept as objects and arrays) when there is any.
enum JSONLogLine {
    private static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// The W3C ids of a span (lower-case hex, 32 and 16 digits).
    struct TraceIdentifiers: Equatable {
        let traceId: String
        let spanId: String

        /// The current span's ids, as the bootstrapped tracer propagates them (`traceparent`); nil
        /// outside a span, or when the tracer does not speak W3C Trace Context.
        static func current() -> TraceIdentifiers? {
            guard let parent = TraceContextStamp.current()?.fields["traceparent"] else { return nil }
            let parts = parent.split(separator: "-")
            guard parts.count == 4, parts[1].count == 32, parts[2].count == 16 else { return nil }
            return TraceIdentifiers(traceId: String(parts[1]), spanId: String(parts[2]))
        }
    }

    /// The line for one event, ending with a newline; keys in a stable order.
    static func line(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, trace: TraceIdentifiers? = nil) -> String {
        var line = "{\"time\":\(quoted(time.formatted(timeFormat))),\"level\":\(quoted(level.rawValue)),\"label\":\(quoted(label)),\"message\":\(quoted(message))"
        if let trace { line += ",\"trace_id\":\(quoted(trace.traceId)),\"span_id\":\(quoted(trace.spanId))" }
        if !metadata.isEmpty { line += ",\"metadata\":" + object(metadata) }
        return line + "}\n"
    }

    private static func object(_ metadata: Logger.Metadata) -> String {
        "{" + metadata.sorted { $0.key < $1.key }.map { quoted($0.key) + ":" + value($0.value) }.joined(separator: ",") + "}"
    }

    private static func value(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): quoted(text)
        case .stringConvertible(let convertible): quoted(convertible.description)
        case .dictionary(let dictionary): object(dictionary)
        case .array(let values): "[" + values.map(Self.value).joined(separator: ",") + "]"
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped (RFC 8259).
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
