import Messenger

/// The options of an `sqlite://` transport, from its DSN query and its configuration.
public struct SQLiteTransportOptions: Sendable, Equatable {
    public var queueName = "default"
    public var tableName = "messenger_messages"
    /// Seconds after which a claimed, unacknowledged message is delivered again.
    public var redeliverTimeoutSeconds = 3600
    /// Create the table on first use.
    public var autoSetup = true
    /// How long to wait for another process's write lock before failing, in milliseconds.
    public var busyTimeoutMilliseconds = 5000
    /// `FULL` (default: a dispatched message survives a power loss) or `NORMAL` (survives a crash of
    /// the process but may lose the last commits on power loss; faster one-by-one dispatch).
    public var synchronous = "FULL"

    public static let known = ["queue_name", "table_name", "redeliver_timeout", "auto_setup", "busy_timeout", "synchronous"]

    public init() {}

    /// Reads and validates options; an unknown name or a bad value is an error naming the transport.
    public init(_ options: [String: String], transport: String) throws {
        func fail(_ text: String) -> MessengerError { MessengerError(.invalidOption, "transport \"\(transport)\": \(text)") }
        func int(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let raw = options[key] else { return nil }
            guard let value = Int(raw), range.contains(value) else {
                throw fail("option \(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(raw)\"")
            }
            return value
        }
        if let unknown = options.keys.sorted().first(where: { !Self.known.contains($0) }) {
            throw fail("unknown option \"\(unknown)\" for an sqlite:// transport; known: \(Self.known.joined(separator: ", "))")
        }
        if let queue = options["queue_name"] {
            guard !queue.isEmpty, queue.count <= 190 else { throw fail("queue_name must be 1 to 190 characters") }
            queueName = queue
        }
        if let table = options["table_name"] {
            guard Self.isIdentifier(table) else {
                throw fail("table_name \"\(table)\" is not a plain SQL identifier (letters, digits, underscore; not starting with a digit)")
            }
            tableName = table
        }
        redeliverTimeoutSeconds = try int("redeliver_timeout", 1...31_536_000) ?? redeliverTimeoutSeconds
        busyTimeoutMilliseconds = try int("busy_timeout", 0...3_600_000) ?? busyTimeoutMilliseconds
        if let raw = options["auto_setup"] {
            switch raw.lowercased() {
            case "true", "1", "yes", "on": autoSetup = true
            case "false", "0", "no", "off": autoSetup = false
            default: throw fail("auto_setup must be true or false, got \"\(raw)\"")
            }
        }
        if let raw = options["synchronous"] {
            let level = raw.uppercased()
            guard ["OFF", "NORMAL", "FULL", "EXTRA"].contains(level) else {
                throw fail("synchronous must be OFF, NORMAL, FULL or EXTRA, got \"\(raw)\"")
            }
            synchronous = level
        }
    }

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.count <= 63 else { return false }
        let letters = first == "_" || (first.isASCII && first.properties.isAlphabetic)
        return letters && text.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}
