import Messenger

/// The options of an `sqlite://` transport, from its DSN query and its configuration.
public struct SQLiteTransportOptions: Sendable, Equatable {
    /// The queue this transport stores into and reads (`queue_name`).
    public var queueName = "default"
    /// The table (`table_name`), shared by the queues of the file.
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

    /// What a level of `PriorityStamp` is worth, in seconds of waiting (`priority_aging`).
    public var priorityAgingSeconds = 60
    /// Status records: tracking mode and retention.
    public var records = RecordOptions()

    /// The option names a DSN or `options:` may use.
    public static let known = ["queue_name", "table_name", "redeliver_timeout", "priority_aging", "auto_setup", "busy_timeout", "synchronous"] + RecordOptions.known.sorted()

    /// The defaults.
    public init() {}

    /// Reads and validates options; an unknown name or a bad value is an error naming the transport.
    public init(_ options: [String: String], transport: String) throws {
        let reader = TransportOptionReader(options, transport: transport)
        try reader.rejectUnknown(known: Set(Self.known), scheme: "sqlite", hint: Self.known.joined(separator: ", "))
        queueName = try reader.queueName() ?? queueName
        tableName = try reader.tableName(isValid: Self.isIdentifier, rule: "letters, digits, underscore; not starting with a digit") ?? tableName
        redeliverTimeoutSeconds = try reader.int("redeliver_timeout", in: 1...31_536_000) ?? redeliverTimeoutSeconds
        priorityAgingSeconds = try reader.int("priority_aging", in: 1...86_400) ?? priorityAgingSeconds
        busyTimeoutMilliseconds = try reader.int("busy_timeout", in: 0...3_600_000) ?? busyTimeoutMilliseconds
        autoSetup = try reader.bool("auto_setup") ?? autoSetup
        records = try RecordOptions(reader)
        if let raw = options["synchronous"] {
            let level = raw.uppercased()
            guard ["OFF", "NORMAL", "FULL", "EXTRA"].contains(level) else {
                throw reader.error("synchronous must be OFF, NORMAL, FULL or EXTRA, got \"\(raw)\"")
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
