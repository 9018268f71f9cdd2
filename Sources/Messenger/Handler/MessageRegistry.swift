import Foundation

/// Every message type an application knows, how to decode it, and its handlers.
///
/// Types must be registered to be received from a transport or dispatched from the shell; registering a
/// handler registers its message type too.
public struct MessageRegistry: Sendable {
    /// How to decode one message type from its JSON body.
    public struct MessageType: Sendable {
        /// Its wire name.
        public let name: String
        /// The Swift type, for display.
        public let swiftType: String
        let decode: @Sendable (Data, JSONDecoder) throws -> any Message
    }

    /// The registered message types, by wire name.
    public private(set) var types: [String: MessageType] = [:]
    /// The handlers of each wire name, in registration order.
    public private(set) var handlers: [String: [HandlerDescriptor]] = [:]

    /// An empty registry.
    public init() {}

    /// Makes a message type known, so that stored messages of this type can be decoded.
    public mutating func register<M: Message>(_ type: M.Type) {
        types[M.messageName] = MessageType(
            name: M.messageName,
            swiftType: String(reflecting: M.self),
            decode: { data, decoder in try decoder.decode(M.self, from: data) }
        )
    }

    /// Registers a handler function for a message type.
    public mutating func handle<M: Message, R: Sendable>(
        _ type: M.Type,
        name: String? = nil,
        _ body: @escaping @Sendable (M, HandlerContext) async throws -> R
    ) {
        register(type)
        let handlerName = name ?? "\(M.messageName) handler #\((handlers[M.messageName]?.count ?? 0) + 1)"
        handlers[M.messageName, default: []].append(HandlerDescriptor(name: handlerName, handling: M.self, body))
    }

    /// Registers a handler value; its name is its Swift type name.
    public mutating func register<H: MessageHandler>(_ handler: H, name: String? = nil) {
        handle(H.HandledMessage.self, name: name ?? String(reflecting: H.self)) { message, context in
            try await handler.handle(message, context: context)
        }
    }

    /// The handlers of a message type, in registration order.
    public func handlers(for messageName: String) -> [HandlerDescriptor] {
        handlers[messageName] ?? []
    }
}
