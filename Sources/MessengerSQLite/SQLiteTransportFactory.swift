import Foundation
import Logging
import Messenger
import Synchronization

/// Builds `sqlite://` transports. `sqlite://var/messenger.sqlite` is relative to the base directory
/// (the project), `sqlite:///srv/queue.sqlite` absolute. Transports on one file share one connection.
public final class SQLiteTransportFactory: TransportFactory {
    /// What relative paths are resolved against.
    public let baseDirectory: String
    private let connections = Mutex<[String: SQLiteConnection]>([:])

    /// Resolves relative `sqlite://` paths against `baseDirectory` (the working directory by default).
    public init(baseDirectory: String = FileManager.default.currentDirectoryPath) {
        self.baseDirectory = baseDirectory
    }

    public var schemes: [String] { ["sqlite"] }

    /// A ``SQLiteTransport`` for a `sqlite://` definition; an error naming a bad option.
    public func makeTransport(_ definition: TransportDefinition, serializer: any Serializer, logger: Logger) throws -> any Transport {
        let options = try SQLiteTransportOptions(definition.options, transport: definition.name)
        let path = try resolvePath(definition)
        // One connection per file and settings: transports that ask for another busy timeout or
        // durability get a connection of their own.
        let key = "\(path)|\(options.busyTimeoutMilliseconds)|\(options.synchronous)"
        let connection = connections.withLock { pool in
            if let existing = pool[key] { return existing }
            let created = SQLiteConnection(path: path, busyTimeoutMilliseconds: options.busyTimeoutMilliseconds, synchronous: options.synchronous)
            pool[key] = created
            return created
        }
        var transportLogger = logger
        transportLogger[metadataKey: "transport"] = .string(definition.name)
        return SQLiteTransport(name: definition.name, connection: connection, options: options, serializer: serializer, limits: definition.limits, logger: transportLogger)
    }

    func resolvePath(_ definition: TransportDefinition) throws -> String {
        let dsn = definition.dsn
        let written = (dsn.host ?? "") + dsn.path
        guard !written.isEmpty else {
            throw MessengerError(.invalidDSN, "transport \"\(definition.name)\": the DSN \(dsn) names no database file; write sqlite://var/messenger.sqlite (relative) or sqlite:///absolute/path.sqlite")
        }
        if written == ":memory:" { return written }
        if written.hasPrefix("/") { return written }
        return URL(fileURLWithPath: baseDirectory).appendingPathComponent(written).standardizedFileURL.path
    }
}
