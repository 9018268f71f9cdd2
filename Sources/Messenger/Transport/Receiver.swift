/// Hands stored messages to a worker and learns what became of them.
///
/// A received envelope carries `TransportMessageIdStamp` and, where the transport counts them,
/// `DeliveryCountStamp`. Every received envelope must end in exactly one `ack` or `reject`
/// (or `release`, for a worker that stops before handling it).
public protocol Receiver: Sendable {
    /// Claims up to `limit` messages that are due; an empty array when there is nothing to do.
    func get(limit: Int) async throws -> [Envelope]
    /// The message was handled: remove it.
    func ack(_ envelope: Envelope) async throws
    /// The message will not be handled here (it was retried or parked elsewhere): remove it.
    func reject(_ envelope: Envelope) async throws
    /// The handler is still working on the message: keep it claimed.
    func keepalive(_ envelope: Envelope) async throws
    /// Gives back claimed messages that were not handled, so that another worker can take them now.
    func release(_ envelopes: [Envelope]) async throws
    /// Makes acknowledgements that the receiver batches durable, and gives back messages it claimed
    /// ahead of a `get` that will not come: a worker flushes a receiver when it goes idle, turns to
    /// another receiver, or stops.
    func flush() async throws
    /// True when the claim on a received message was lost before the worker started it (the
    /// receiver's connection was down and another worker took the message): the worker must not
    /// start it. Asked right before each start, so it must be cheap (no I/O).
    func isClaimLost(_ envelope: Envelope) -> Bool
}

extension Receiver {
    public func keepalive(_ envelope: Envelope) async throws {}
    public func release(_ envelopes: [Envelope]) async throws {}
    public func flush() async throws {}
    public func isClaimLost(_ envelope: Envelope) -> Bool { false }
}

/// A receiver that can read from chosen queues of its storage (`messenger:consume --queues`).
public protocol QueueReceiver: Receiver {
    /// Claims up to `limit` due messages of the named queues only.
    func get(limit: Int, fromQueues queues: [String]) async throws -> [Envelope]
}

/// A receiver whose stored messages can be listed, looked up, claimed and removed one by one
/// (failed-message commands, the HTTP API).
public protocol ListableReceiver: Receiver {
    /// The first `limit` stored messages, in id order, without claiming them.
    func list(limit: Int) async throws -> [Envelope]
    /// The stored message with transport id `id`, without claiming it.
    func find(id: String) async throws -> Envelope?
    /// Claims one stored message to handle it now, as `get` would: only one caller wins, and the
    /// message must end in `ack`, `reject` or `release` like any received one.
    func claim(id: String) async throws -> ClaimByIdResult
    /// Removes a stored message unless a worker or another command holds it.
    func remove(id: String) async throws -> RemoveByIdResult
}
