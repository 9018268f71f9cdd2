/// What a transport writes into a message's status record when it stores it: id, type, status,
/// origin, and the last error of a failed message's retry or parked copy.
public struct RecordedMessage: Sendable, Equatable {
    /// The message's public id.
    public let id: String
    /// Its wire type.
    public let type: String
    /// The status to record: queued, scheduled, retrying or failed.
    public let status: MessageStatus
    /// Where it came from (a schedule's occurrence, a deduplication key), if known.
    public let origin: String?
    /// The type of its last error, for a retry or a parked copy.
    public let errorType: String?
    /// The text of its last error.
    public let errorMessage: String?
    /// The handler whose error it was.
    public let errorHandler: String?
    /// Attempts made so far (a failed message's retry or parked copy), nil for a new message.
    public let attempts: Int?

    /// Nil when the envelope has no public id or its transport does not record this status.
    public init?(_ envelope: Envelope, options: RecordOptions) {
        guard let id = envelope.messageId else { return nil }
        let status = MessageStatus.stored(envelope)
        guard options.records(stored: status) else { return nil }
        self.id = id
        type = envelope.messageName
        self.status = status
        origin = envelope.origin
        let error = status == .retrying || status == .failed ? envelope.last(ErrorDetailsStamp.self) : nil
        errorType = error?.errorType
        errorMessage = error?.message
        errorHandler = error?.location
        attempts = envelope.last(StoredStatusStamp.self)?.attempts
    }
}
