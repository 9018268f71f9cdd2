import Messenger

/// What a dispatch came to, as the API answers it: the message's public id and status (`queued`,
/// `completed` when a sync route handled it, …), or, for a deduplicated one, the id of the message
/// that stands for it with `already_queued` or `already_running`.
public struct DispatchOutcome: Sendable {
    /// The message's public id (the pending one's, for a duplicate).
    public let id: String
    /// Its status: `queued`, `scheduled`, `completed`, `failed`, `already_queued` or `already_running`.
    public let status: String
    /// True for a deduplicated dispatch (the API answers 409).
    public let isDuplicate: Bool

    /// The outcome of the dispatch that returned `envelope`.
    public init(_ envelope: Envelope) {
        if let duplicate = envelope.last(DeduplicatedStamp.self) {
            id = duplicate.existingId ?? duplicate.existingMessageId ?? ""
            status = duplicate.existingStatus == .running ? "already_running" : "already_queued"
            isDuplicate = true
        } else {
            id = envelope.messageId ?? ""
            status = MessageStatus.dispatched(envelope).rawValue
            isDuplicate = false
        }
    }
}
