/// Dispatches messages through a stack of middleware: sent to a transport when routed there, handled
/// now otherwise.
public struct MessageBus: Sendable {
    /// The bus's name, stamped on every message dispatched here.
    public let name: String
    /// The middleware stack, outermost first.
    public let middleware: [any Middleware]

    /// A bus named `name` with its own middleware stack, outermost first.
    public init(name: String = "messenger.bus.default", middleware: [any Middleware]) {
        self.name = name
        self.middleware = middleware
    }

    /// The standard stack: bus name, dispatch-after-current-bus, user middleware, send, handle.
    public init(
        name: String = "messenger.bus.default",
        registry: MessageRegistry,
        senders: SendersLocator,
        userMiddleware: [any Middleware] = [],
        allowNoHandlers: Bool = false
    ) {
        self.init(name: name, middleware: [
            AddBusNameMiddleware(busName: name),
            DispatchAfterCurrentBusMiddleware(),
        ] + userMiddleware + [
            SendMessageMiddleware(senders: senders),
            HandleMessageMiddleware(registry: registry, allowNoHandlers: allowNoHandlers),
        ])
    }

    /// Dispatches a message and returns the final envelope (with `SentStamp` or `HandledStamp`s).
    @discardableResult
    public func dispatch(_ message: some Message, stamps: [any Stamp] = []) async throws -> Envelope {
        try await dispatch(Envelope(message, stamps: stamps))
    }

    /// Dispatches an envelope through the whole stack. A message dispatched without a public id
    /// gets one (`MessageIdStamp`), which the returned envelope carries; a received one (a worker
    /// handling a stored message) keeps what it was stored with.
    @discardableResult
    public func dispatch(_ envelope: Envelope) async throws -> Envelope {
        let identified = envelope.messageId == nil && envelope.last(ReceivedStamp.self) == nil ? envelope.with(MessageIdStamp()) : envelope
        return try await MiddlewareNext(bus: self, index: 0)(identified)
    }
}
