/// What a transport writes into a message's status record when it stores it: id, type, status,
/// origin, and the last error of a failed message's retry or parked copy.
public struct RecordedMessage: Sendable, Equatable {
    public let id: String
    public let type: String
    public let status: MessageStatus
    public let origin: String?
    public let errorType: String?
    public let errorMessage: String?
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
