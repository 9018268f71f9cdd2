/// A table transport's status-record options: `tracking` (all, failures, none), and retention:
/// `keep_completed` / `keep_failed` (seconds; completed and cancelled records 24 h, failed ones
/// 7 days by default) and `keep_max` (the newest finished records of the transport to keep at most).
public struct RecordOptions: Sendable, Equatable {
    /// Which messages get a status record.
    public var tracking: TrackingMode = .all
    /// How long finished records are kept.
    public var retention = RecordRetention()

    /// The option names these read.
    public static let known: Set<String> = ["tracking", "keep_completed", "keep_failed", "keep_max"]

    /// The defaults: every message tracked, completed records kept a day, failed ones a week.
    public init() {}

    /// The options read from a transport's `tracking`, `keep_completed`, `keep_failed` and `keep_max`; an error naming a bad value.
    public init(_ reader: TransportOptionReader) throws {
        if let raw = reader.options["tracking"] {
            guard let mode = TrackingMode(rawValue: raw.lowercased()) else {
                throw reader.error("tracking must be all, failures or none, got \"\(raw)\"")
            }
            tracking = mode
        }
        if let seconds = try reader.int("keep_completed", in: 0...31_536_000) { retention.completed = .seconds(seconds) }
        if let seconds = try reader.int("keep_failed", in: 0...31_536_000) { retention.failed = .seconds(seconds) }
        retention.maxFinished = try reader.int("keep_max", in: 0...1_000_000_000)
    }

    /// Whether a message stored with `status` gets a record.
    public func records(stored status: MessageStatus) -> Bool {
        switch tracking {
        case .all: true
        case .failures: status == .retrying || status == .failed
        case .none: false
        }
    }

    /// Whether transitions of existing records are written at all.
    public var writesRecords: Bool { tracking != .none }
}
