/// Handles one message type. Register it with `MessageRegistry.register(_:)`.
public protocol MessageHandler: Sendable {
    associatedtype HandledMessage: Message
    associatedtype Result: Sendable = Void

    /// Handles one message; a thrown error goes to the retry strategy of the transport it came from.
    func handle(_ message: HandledMessage, context: HandlerContext) async throws -> Result
}
