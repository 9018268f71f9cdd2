/// Which messages of a transport get a status record (the transport option `tracking`).
public enum TrackingMode: String, Sendable, CaseIterable {
    /// Every message, from dispatch to its end (the default).
    case all
    /// Only messages that fail (retrying or parked): for firehose queues.
    case failures
    /// None.
    case none
}
