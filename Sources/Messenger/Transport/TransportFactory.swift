import Logging

/// What a factory needs to build one named transport.
public struct TransportDefinition: Sendable {
    /// The transport's name in the configuration.
    public let name: String
    /// Where it stores (password included: never print it).
    public let dsn: DSN
    /// Options from the configuration, merged over the DSN's query parameters.
    public let options: [String: String]
    /// The configuration's `limits:`, which a database transport enforces across its workers.
    public let limits: FlowLimits

    /// Transport `name` at `dsn`, with `options` and flow `limits`.
    public init(name: String, dsn: DSN, options: [String: String] = [:], limits: FlowLimits = FlowLimits()) {
        self.name = name
        self.dsn = dsn
        self.limits = limits
        var merged = Dictionary(dsn.query, uniquingKeysWith: { _, last in last })
        merged.merge(options) { _, configured in configured }
        self.options = merged
    }
}

/// Builds transports for the DSN schemes it knows.
public protocol TransportFactory: Sendable {
    /// The schemes handled, e.g. `["sqlite"]`.
    var schemes: [String] { get }
    /// A transport for `definition`.
    func makeTransport(_ definition: TransportDefinition, serializer: any Serializer, logger: Logger) throws -> any Transport
}

/// The factories an application knows; picks one by DSN scheme.
public struct TransportFactories: Sendable {
    private var factories: [any TransportFactory]

    /// Starts with the built-in `sync://` and `in-memory://`.
    public init(_ factories: [any TransportFactory] = []) {
        self.factories = [BuiltInTransportFactory()] + factories
    }

    /// Adds `factory`.
    public mutating func register(_ factory: any TransportFactory) { factories.append(factory) }

    /// Every scheme the factories serve.
    public var schemes: [String] { factories.flatMap(\.schemes) }

    /// A transport for `definition`, from the factory of its scheme; an error naming the scheme when none serves it.
    public func makeTransport(_ definition: TransportDefinition, serializer: any Serializer, logger: Logger) throws -> any Transport {
        guard let factory = factories.last(where: { $0.schemes.contains(definition.dsn.scheme) }) else {
            throw MessengerError(
                .unsupportedDSNScheme,
                "transport \"\(definition.name)\": no transport supports the DSN scheme \"\(definition.dsn.scheme)://\" (\(definition.dsn)); supported: \(schemes.map { $0 + "://" }.joined(separator: ", "))"
            )
        }
        return try factory.makeTransport(definition, serializer: serializer, logger: logger)
    }
}

/// `sync://` and `in-memory://`.
struct BuiltInTransportFactory: TransportFactory {
    var schemes: [String] { ["sync", "in-memory"] }

    func makeTransport(_ definition: TransportDefinition, serializer: any Serializer, logger: Logger) throws -> any Transport {
        if let unknown = definition.options.keys.sorted().first {
            throw MessengerError(.invalidOption, "transport \"\(definition.name)\": the \(definition.dsn.scheme):// transport takes no option, got \"\(unknown)\"")
        }
        return definition.dsn.scheme == "sync" ? SyncTransport() : InMemoryTransport(name: definition.name)
    }
}
