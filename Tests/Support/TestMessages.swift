import Messenger

/// A message with a number, for counting what transports and workers deliver.
public struct Numbered: Message, Equatable {
    public static let messageName = "Test.Numbered"
    public var number: Int
    public init(number: Int) { self.number = number }
}

extension MessageRegistry {
    /// A registry knowing `Numbered`, with a handler that does nothing.
    public static var numbered: MessageRegistry {
        var registry = MessageRegistry()
        registry.handle(Numbered.self, name: "noop") { _, _ in }
        return registry
    }
}
