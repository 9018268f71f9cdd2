/// Handles one message type. Register it with `MessageRegistry.register(_:)`.
public protocol MessageHandler: Sendable {
    /// The message type it handles.
    associatedtype HandledMessage: Message
    /// What it returns (kept in the message's status record as JSON); `Void` by default.
    associatedtype Result: Sendable = Void

    /// Handles one message; a thrown error goes to the retry strategy of the transport it came from.
    func handle(_ message: HandledMessage, context: HandlerContext) async throws -> Result
}
