/// One layer of the bus: it may change the envelope, act on it, and must call `next` to go on
/// (or return without calling it to stop the message there).
public protocol Middleware: Sendable {
    /// Handles `envelope`, calling `next` to go on down the stack (or not); returns the envelope as it ends.
    func handle(_ envelope: Envelope, next: MiddlewareNext) async throws -> Envelope
}

/// The rest of the stack below a middleware, plus the bus it runs on.
public struct MiddlewareNext: Sendable {
    /// The bus this dispatch runs on (for middleware that dispatch again).
    public let bus: MessageBus
    let index: Int

    /// Hands the envelope to the next middleware; past the last one, returns it unchanged.
    public func callAsFunction(_ envelope: Envelope) async throws -> Envelope {
        guard index < bus.middleware.count else { return envelope }
        return try await bus.middleware[index].handle(envelope, next: MiddlewareNext(bus: bus, index: index + 1))
    }
}
