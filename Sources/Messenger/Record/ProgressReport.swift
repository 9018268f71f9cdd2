/// One progress report of a handler.
public struct ProgressReport: Sendable, Equatable {
    /// The message's public id.
    public let messageId: String
    /// How much is done, from 0 to 1.
    public let fraction: Double
    /// What the handler says it is doing, if anything.
    public let note: String?

    /// The progress of message `messageId`.
    public init(messageId: String, fraction: Double, note: String?) {
        self.messageId = messageId
        self.fraction = fraction
        self.note = note
    }
}
