/// Records that one handler handled the message, with what it returned.
///
/// Only the handler's name travels: a message retried after one of its handlers failed is not handed
/// again to the handlers that already succeeded.
public struct HandledStamp: TransportableStamp {
    public static let stampName = "Handled"
    /// The handler's registered name.
    public let handlerName: String
    /// The handler's return value, kept in memory only.
    public let result: (any Sendable)?

    /// Handler `handlerName` succeeded, returning `result`.
    public init(handlerName: String, result: (any Sendable)? = nil) {
        self.handlerName = handlerName
        self.result = result
    }

    private enum CodingKeys: String, CodingKey { case handlerName }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        handlerName = try container.decode(String.self, forKey: .handlerName)
        result = nil
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(handlerName, forKey: .handlerName)
    }
}
