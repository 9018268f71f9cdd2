import Logging
import Messenger

/// Builds `postgresql://` (and `postgres://`) transports; those it builds share one connection per
/// database (`PostgresConnectionSharing`), so that a process holds one server connection for them
/// (plus LISTEN, when it consumes).
public struct PostgresTransportFactory: TransportFactory {
    private let sharing = PostgresConnectionSharing()

    /// The factory.
    public init() {}

    public var schemes: [String] { ["postgresql", "postgres"] }

    /// A ``PostgresTransport`` for a `postgresql://` (or `postgres://`) definition; an error naming a bad option.
    public func makeTransport(_ definition: TransportDefinition, serializer: any Serializer, logger: Logger) throws -> any Transport {
        let options = try PostgresTransportOptions(definition.options, transport: definition.name)
        // libpq's parameters may come from the configuration's options as well as from the DSN.
        let info = try PostgresConnectionInfo(dsn: definition.dsn, strippingOptions: PostgresTransportOptions.known, parameters: definition.options)
        var transportLogger = logger
        transportLogger[metadataKey: "transport"] = .string(definition.name)
        return PostgresTransport(name: definition.name, info: info, options: options, serializer: serializer, limits: definition.limits, logger: transportLogger,
                                 sharing: sharing)
    }
}
