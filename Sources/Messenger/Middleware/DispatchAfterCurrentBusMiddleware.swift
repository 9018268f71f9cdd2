import Synchronization

/// Holds messages stamped `DispatchAfterCurrentBusStamp` while another message is being handled and
/// dispatches them only once that outer dispatch has succeeded; drops them if it fails.
public struct DispatchAfterCurrentBusMiddleware: Middleware {
    /// The middleware.
    public init() {}

    /// Holds a message stamped ``DispatchAfterCurrentBusStamp`` until the outermost dispatch succeeds (dropped if it fails); dispatches the others at once.
    public func handle(_ envelope: Envelope, next: MiddlewareNext) async throws -> Envelope {
        if let held = HeldMessages.current {
            if envelope.last(DispatchAfterCurrentBusStamp.self) != nil {
                held.append(envelope.withoutAll(DispatchAfterCurrentBusStamp.self))
                return envelope
            }
            return try await next(envelope)
        }
        let held = HeldMessages()
        let result = try await HeldMessages.$current.withValue(held) { try await next(envelope) }
        var failures: [String] = []
        for message in held.drain() {
            do { try await next.bus.dispatch(message) } catch { failures.append("\(message.messageName): \(error)") }
        }
        if !failures.isEmpty {
            throw MessengerError(
                .deferredDispatchFailed,
                "\(envelope.messageName) was handled, but dispatching its follow-up messages failed: \(failures.joined(separator: "; "))"
            )
        }
        return result
    }
}

/// The messages held back during one outer dispatch.
final class HeldMessages: Sendable {
    @TaskLocal static var current: HeldMessages?
    private let envelopes = Mutex<[Envelope]>([])

    func append(_ envelope: Envelope) { envelopes.withLock { $0.append(envelope) } }

    func drain() -> [Envelope] { envelopes.withLock { all in defer { all = [] }; return all } }
}
