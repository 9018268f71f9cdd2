import Logging

/// Calls every handler of the message; handlers that already succeeded on an earlier attempt are skipped.
public struct HandleMessageMiddleware: Middleware {
    /// Where the handlers are found.
    public let registry: MessageRegistry
    /// When false, a message with no handler is an error.
    public let allowNoHandlers: Bool
    let logger: Logger

    /// Calls the handlers of `registry`; with `allowNoHandlers`, a message without one passes.
    public init(registry: MessageRegistry, allowNoHandlers: Bool = false, logger: Logger = Logger(label: "messenger")) {
        self.registry = registry
        self.allowNoHandlers = allowNoHandlers
        self.logger = logger
    }

    /// Calls every handler of the message that has not succeeded on an earlier attempt; throws ``HandlerFailedError`` when any fails.
    public func handle(_ envelope: Envelope, next: MiddlewareNext) async throws -> Envelope {
        let handlers = registry.handlers(for: envelope.messageName)
        if handlers.isEmpty && !allowNoHandlers {
            throw MessengerError(.noHandler, "no handler for message \(envelope.messageName)")
        }
        let alreadyHandled = Set(envelope.all(HandledStamp.self).map(\.handlerName))
        var current = envelope
        var failures: [HandlerFailedError.Failure] = []
        for handler in handlers where !alreadyHandled.contains(handler.name) {
            let context = HandlerContext(envelope: current, bus: next.bus, logger: logger)
            do {
                let result = try await handler(current.message, context: context)
                current = current.with(HandledStamp(handlerName: handler.name, result: result))
            } catch {
                failures.append(.init(handlerName: handler.name, error: error))
            }
        }
        if !failures.isEmpty { throw HandlerFailedError(envelope: current, failures: failures) }
        return try await next(current)
    }
}
