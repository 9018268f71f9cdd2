/// Keeps a second message with the same key out of its transport while the first is pending: the
/// transport's database enforces it (a unique index over pending keys), and `dispatch` answers with a
/// `DeduplicatedStamp` instead of storing.
public struct DeduplicateStamp: TransportableStamp, Equatable {
    public static let stampName = "Messenger.Deduplicate"
    /// The key: while a message with it is pending in the queue, another is not stored.
    public let key: String
    /// Pending means waiting; with this, also while a worker is handling it (until acknowledged).
    public let whileHandling: Bool
    /// A delayed message whose key is waiting moves the waiting message's due time to its own instead
    /// of being stored (debounce: rapid changes, one run after the last).
    public let debounce: Bool

    /// A key `key`; `whileHandling` keeps it while a worker handles the message, `debounce` moves a waiting duplicate's due time instead of refusing the new one.
    public init(_ key: String, whileHandling: Bool = false, debounce: Bool = false) {
        self.key = key
        self.whileHandling = whileHandling
        self.debounce = debounce
    }
}

/// The answer of a transport that did not store a message: one with the same key is pending.
public struct DeduplicatedStamp: Stamp, Equatable {
    /// The pending message's id in its transport.
    public let existingMessageId: String?
    /// Whether the pending message's due time was moved to this one's (debounce).
    public let debounced: Bool
    /// The pending message's public id (`MessageIdStamp`), to poll its status.
    public let existingId: String?
    /// The pending message's status: `queued`, `scheduled` or `running` ("already running").
    public let existingStatus: MessageStatus?

    /// What a refused (or debounced) dispatch learns of the pending message that holds its key.
    public init(existingMessageId: String?, debounced: Bool, existingId: String? = nil, existingStatus: MessageStatus? = nil) {
        self.existingMessageId = existingMessageId
        self.debounced = debounced
        self.existingId = existingId
        self.existingStatus = existingStatus
    }
}

extension Envelope {
    /// The deduplication the transport must apply: none for a message being parked in a failure
    /// transport, which keeps every failure.
    public var deduplication: DeduplicateStamp? {
        guard last(SentToFailureTransportStamp.self) == nil else { return nil }
        return last(DeduplicateStamp.self)
    }

    /// Whether a transport refused to store this message as a duplicate.
    public var wasDeduplicated: Bool { last(DeduplicatedStamp.self) != nil }
}
