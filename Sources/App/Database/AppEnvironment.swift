import Foundation
import MessengerConfig
import Messenger
import MessengerPostgres

/// Where the application finds its settings: the project directory (`APP_PROJECT_DIR`, else the
/// working directory) and its environment (process, `.env.local`, `.env`), read at the first setting
/// asked for and kept, so that handlers do not read files for each message.
public struct AppEnvironment: Sendable {
    public let projectDirectory: String
    private let loaded = LoadedOnce<Environment>()

    public init(projectDirectory: String = ProcessInfo.processInfo.environment["APP_PROJECT_DIR"] ?? FileManager.default.currentDirectoryPath) {
        self.projectDirectory = projectDirectory
    }

    /// A setting, nil when unset.
    public func setting(_ name: String) throws -> String? {
        try loaded.get { try Environment.load(projectDirectory: projectDirectory) }[name]
    }

    /// `DATABASE_URL`, else `MESSENGER_TRANSPORT_DSN` when it is a database (the application's data
    /// lives beside its messages) without the transport's own options (`queue_name`, …; a PostgreSQL
    /// connection's parameters such as `sslmode` or `options` stay), else the embedded default.
    public func databaseURL() throws -> String {
        if let url = try setting("DATABASE_URL"), !url.isEmpty { return url }
        guard let transport = try setting("MESSENGER_TRANSPORT_DSN"), transport.hasPrefix("sqlite://") || transport.hasPrefix("postgres") else {
            return "sqlite://var/messenger.sqlite"
        }
        let parts = transport.split(separator: "?", maxSplits: 1).map(String.init)
        guard transport.hasPrefix("postgres"), parts.count == 2 else { return parts.first ?? transport }
        let kept = parts[1].split(separator: "&").filter { pair in
            !PostgresTransportOptions.known.contains(String(pair.split(separator: "=", maxSplits: 1).first ?? ""))
        }
        return kept.isEmpty ? parts[0] : parts[0] + "?" + kept.joined(separator: "&")
    }

    /// Opens the application's database.
    public func openDatabase() throws -> AppDatabase {
        try AppDatabase.open(url: try databaseURL(), baseDirectory: projectDirectory)
    }
}

/// The application's database as handlers use it: a few connections opened at first use and kept,
/// each handler's statements and transaction on a connection of its own while it holds it, so that
/// handlers running at once (`messenger:consume --concurrency`) never share a transaction.
public final class SharedAppDatabase: Sendable {
    private let pool: AppDatabasePool

    /// `size` connections at most (a handler that finds them all taken waits for one).
    public init(environment: AppEnvironment, size: Int = 4) {
        pool = AppDatabasePool(environment: environment, size: size, migrates: false)
    }

    /// Runs `body` with a connection of its own.
    public func withConnection<T: Sendable>(_ body: @Sendable (AppDatabase) async throws -> T) async throws -> T {
        try await pool.withConnection(body)
    }

    /// Closes the connections.
    public func close() async { await pool.close() }
}
