/// A registered handler: its name (used in logs and `HandledStamp`) and the type-erased function.
public struct HandlerDescriptor: Sendable {
    /// The handler's name, unique among the handlers of one message type.
    public let name: String
    /// The wire name of the message type it handles.
    public let messageName: String
    let body: @Sendable (any Message, HandlerContext) async throws -> (any Sendable)?

    /// A handler named `name` for messages of type `M`, returning `R`.
    public init<M: Message, R: Sendable>(
        name: String,
        handling type: M.Type,
        _ handle: @escaping @Sendable (M, HandlerContext) async throws -> R
    ) {
        self.name = name
        self.messageName = M.messageName
        self.body = { message, context in
            guard let typed = message as? M else {
                throw MessengerError(.handlerTypeMismatch, "handler \(name) expects \(M.messageName), got \(Swift.type(of: message).messageName)")
            }
            return try await handle(typed, context)
        }
    }

    /// Runs the handler on a message.
    public func callAsFunction(_ message: any Message, context: HandlerContext) async throws -> (any Sendable)? {
        try await body(message, context)
    }
}
