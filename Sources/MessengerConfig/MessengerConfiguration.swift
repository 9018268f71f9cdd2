import Messenger

/// The messenger's configuration, as read from `config/messenger.yaml`.
public struct MessengerConfiguration: Sendable {
    public var transports: [String: TransportConfiguration]
    /// Message wire name, `Prefix.*` or `*` → transport names.
    public var routing: [String: [String]]
    /// The default failure transport, if any.
    public var failureTransport: String?
    /// The name of the bus.
    public var busName: String
    /// `limits:`: concurrency and rate per message type, prefix or queue, across all workers.
    public var limits = FlowLimits()

    public init(transports: [String: TransportConfiguration] = [:], routing: [String: [String]] = [:], failureTransport: String? = nil, busName: String = "messenger.bus.default") {
        self.transports = transports
        self.routing = routing
        self.failureTransport = failureTransport
        self.busName = busName
    }

    /// The failure transport of a transport: its own, else the default, never itself.
    public func failureTransport(for transport: String) -> String? {
        let name = transports[transport]?.failureTransport ?? failureTransport
        return name == transport ? nil : name
    }
}

/// One named transport.
public struct TransportConfiguration: Sendable {
    public var name: String
    public var dsn: DSN
    public var options: [String: String]
    public var retryStrategy: MultiplierRetryStrategy
    public var failureTransport: String?
    /// The wire format of its messages (`serializer:`); Symfony's needs a `type_map`.
    public var serializer: SerializerFormat = .json

    /// How a transport writes its messages.
    public enum SerializerFormat: Sendable, Equatable {
        /// This project's JSON (`serializer: json`, the default).
        case json
        /// Symfony Messenger's JSON serializer's format, PHP classes mapped by `type_map`.
        case symfony(SymfonyTypeMap)
    }

    public init(name: String, dsn: DSN, options: [String: String] = [:], retryStrategy: MultiplierRetryStrategy = MultiplierRetryStrategy(), failureTransport: String? = nil) {
        self.name = name
        self.dsn = dsn
        self.options = options
        self.retryStrategy = retryStrategy
        self.failureTransport = failureTransport
    }

    public var definition: TransportDefinition { definition(limits: FlowLimits()) }

    /// The definition a factory builds the transport from, with the configuration's limits.
    public func definition(limits: FlowLimits) -> TransportDefinition { TransportDefinition(name: name, dsn: dsn, options: options, limits: limits) }
}
