/// Dispatched by a worker on its bus, right after it parks a message in a failure transport, for
/// the application's handlers of it (an error report, an alert); nothing happens when it has none.
/// Always handled at once in the worker's process, never routed to a transport.
public struct MessageParked: Message, Equatable {
    public static let messageName = "Messenger.MessageParked"
    /// The parked message's wire type and public id.
    public var messageType: String
    /// The parked message's public id, when it has one.
    public var messageId: String?
    /// Where it failed and where it waits now.
    public var transport: String
    /// The failure transport that keeps it now.
    public var failureTransport: String
    /// How many attempts it had.
    public var attempts: Int
    /// The type of the last error.
    public var errorType: String
    /// The text of the last error (secrets in addresses hidden).
    public var errorMessage: String

    /// The event for a message of `messageType` parked in `failureTransport`.
    public init(messageType: String, messageId: String?, transport: String, failureTransport: String, attempts: Int, errorType: String, errorMessage: String) {
        self.messageType = messageType
        self.messageId = messageId
        self.transport = transport
        self.failureTransport = failureTransport
        self.attempts = attempts
        self.errorType = errorType
        self.errorMessage = errorMessage
    }
}
