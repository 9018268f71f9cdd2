import Messenger

/// A receiver that forwards to another but does not replace atomically: the worker then stores a
/// failed message's retry or parked copy and rejects the original in two steps, one commit per
/// message, as it did before replacements. The reference for the failure-path benchmark.
struct TwoStepReceiver: Receiver {
    let base: any Receiver

    func get(limit: Int) async throws -> [Envelope] { try await base.get(limit: limit) }
    func ack(_ envelope: Envelope) async throws { try await base.ack(envelope) }
    func reject(_ envelope: Envelope) async throws { try await base.reject(envelope) }
    func keepalive(_ envelope: Envelope) async throws { try await base.keepalive(envelope) }
    func release(_ envelopes: [Envelope]) async throws { try await base.release(envelopes) }
    func flush() async throws { try await base.flush() }
}
