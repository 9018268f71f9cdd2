/// Tells the transport the status to record for a message it stores: the worker stamps a failed
/// message's retry (`retrying`) or parked copy (`failed`). In memory only.
public struct StoredStatusStamp: Stamp {
    /// The status to record.
    public let status: MessageStatus
    /// The attempt that failed (the record's attempts).
    public let attempts: Int?

    /// Record `status`, after `attempts` attempts.
    public init(_ status: MessageStatus, attempts: Int? = nil) {
        self.status = status
        self.attempts = attempts
    }
}
