import Messenger

/// A message with a number, for counting what transports and workers deliver.
public struct Numbered: Message, Equatable {
    public static let messageName = "Test.Numbered"
    public var number: Int
    public init(number: Int) { self.number = number }
}

/// A second numbered type, for rules that limit one type and not another.
public struct Throttled: Message, Equatable {
    public static let messageName = "Test.Throttled"
    public var number: Int
    public init(number: Int) { self.number = number }
}

extension MessageRegistry {
    /// A registry knowing `Numbered` and `Throttled`, with handlers that do nothing.
    public static var numbered: MessageRegistry {
        var registry = MessageRegistry()
        registry.handle(Numbered.self, name: "noop") { _, _ in }
        registry.handle(Throttled.self, name: "noop") { _, _ in }
        return registry
    }
}
