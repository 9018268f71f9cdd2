/// What became of a claim of one stored message by id (`ListableReceiver.claim(id:)`).
public enum ClaimByIdResult: Sendable {
    /// Claimed by the caller, who must ack, reject or release it.
    case claimed(Envelope)
    /// Another worker or command holds it (a retry in progress, say).
    case held
    /// No such message: never stored, or gone already.
    case missing
}

/// What became of a removal of one stored message by id (`ListableReceiver.remove(id:)`).
public enum RemoveByIdResult: Sendable, Equatable {
    /// It was removed.
    case removed
    /// Another worker or command holds it: not removed.
    case held
    /// No such message.
    case missing
}
