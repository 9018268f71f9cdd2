/// Stores or forwards a message for later handling.
public protocol Sender: Sendable {
    /// Sends the envelope; returns it with what the transport adds (e.g. `TransportMessageIdStamp`).
    func send(_ envelope: Envelope) async throws -> Envelope
}
