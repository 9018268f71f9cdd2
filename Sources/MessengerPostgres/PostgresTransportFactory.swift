import Logging
import Messenger

/// Builds `postgresql://` (and `postgres://`) transports, each with a connection of its own.
public struct PostgresTransportFactory: TransportFactory {
    public init() {}

    public var schemes: [String] { ["postgresql", "postgres"] }

    public func makeTransport(_ definition: TransportDefinition, serializer: any Serializer, logger: Logger) throws -> any Transport {
        let options = try PostgresTransportOptions(definition.options, transport: definition.name)
        let info = try PostgresConnectionInfo(dsn: definition.dsn, strippingOptions: PostgresTransportOptions.known)
        var transportLogger = logger
        transportLogger[metadataKey: "transport"] = .string(definition.name)
        return PostgresTransport(name: definition.name, info: info, options: options, serializer: serializer, logger: transportLogger)
    }
}
