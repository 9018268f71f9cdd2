import Messenger

/// The options of a `postgresql://` transport, from its DSN query and its configuration.
/// They are removed from the DSN before libpq sees it; every other query parameter goes to libpq.
public struct PostgresTransportOptions: Sendable, Equatable {
    public var queueName = "default"
    public var tableName = "messenger_messages"
    /// Seconds after which a claimed message is delivered again even if its worker seems alive.
    public var redeliverTimeoutSeconds = 3600
    public var autoSetup = true
    /// Wake idle workers with LISTEN/NOTIFY.
    public var useNotify = true
    /// With notifications on, the longest an idle worker waits before looking again (milliseconds):
    /// the safety net for lost notifications and the pace of reclaiming dead workers' messages.
    public var checkDelayedIntervalMilliseconds = 5000
    /// The most messages claimed in one statement.
    public var prefetch = 100

    public static let known: Set<String> = ["queue_name", "table_name", "redeliver_timeout", "auto_setup", "use_notify", "check_delayed_interval", "prefetch"]

    public init() {}

    public init(_ options: [String: String], transport: String) throws {
        func fail(_ text: String) -> MessengerError { MessengerError(.invalidOption, "transport \"\(transport)\": \(text)") }
        func int(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let raw = options[key] else { return nil }
            guard let value = Int(raw), range.contains(value) else {
                throw fail("option \(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(raw)\"")
            }
            return value
        }
        func bool(_ key: String) throws -> Bool? {
            guard let raw = options[key] else { return nil }
            switch raw.lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off": return false
            default: throw fail("\(key) must be true or false, got \"\(raw)\"")
            }
        }
        let libpqOptions: Set<String> = ["sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "application_name", "options",
                                         "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "target_session_attrs",
                                         "client_encoding", "gssencmode", "channel_binding", "passfile", "host", "hostaddr", "port", "dbname", "user", "password"]
        if let unknown = options.keys.sorted().first(where: { !Self.known.contains($0) && !libpqOptions.contains($0) }) {
            throw fail("unknown option \"\(unknown)\" for a postgresql:// transport; known: \(Self.known.sorted().joined(separator: ", ")) and libpq's connection parameters")
        }
        if let queue = options["queue_name"] {
            guard !queue.isEmpty, queue.count <= 190 else { throw fail("queue_name must be 1 to 190 characters") }
            queueName = queue
        }
        if let table = options["table_name"] {
            guard Self.isIdentifier(table) else {
                throw fail("table_name \"\(table)\" is not a plain SQL identifier (lower-case letters, digits, underscore; not starting with a digit)")
            }
            tableName = table
        }
        redeliverTimeoutSeconds = try int("redeliver_timeout", 1...31_536_000) ?? redeliverTimeoutSeconds
        autoSetup = try bool("auto_setup") ?? autoSetup
        useNotify = try bool("use_notify") ?? useNotify
        checkDelayedIntervalMilliseconds = try int("check_delayed_interval", 10...3_600_000) ?? checkDelayedIntervalMilliseconds
        prefetch = try int("prefetch", 1...10_000) ?? prefetch
    }

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.count <= 50 else { return false }
        let lower = { (s: Unicode.Scalar) in ("a"..."z").contains(s) }
        return (first == "_" || lower(first)) && text.unicodeScalars.allSatisfy { $0 == "_" || lower($0) || ("0"..."9").contains($0) }
    }
}
