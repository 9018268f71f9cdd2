/// One progress report of a handler.
public struct ProgressReport: Sendable, Equatable {
    public let messageId: String
    public let fraction: Double
    public let note: String?

    public init(messageId: String, fraction: Double, note: String?) {
        self.messageId = messageId
        self.fraction = fraction
        self.note = note
    }
}
