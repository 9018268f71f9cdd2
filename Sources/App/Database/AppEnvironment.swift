import Foundation
import MessengerConfig
import Messenger

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
    /// lives beside its messages), else the embedded default.
    public func databaseURL() throws -> String {
        if let url = try setting("DATABASE_URL"), !url.isEmpty { return url }
        if let transport = try setting("MESSENGER_TRANSPORT_DSN"), transport.hasPrefix("sqlite://") || transport.hasPrefix("postgres") {
            return transport.split(separator: "?", maxSplits: 1).first.map(String.init) ?? transport
        }
        return "sqlite://var/messenger.sqlite"
    }

    /// Opens the application's database.
    public func openDatabase() throws -> AppDatabase {
        try AppDatabase.open(url: try databaseURL(), baseDirectory: projectDirectory)
    }
}

/// The database opened at first use and kept: handlers share one connection per process.
public final class SharedAppDatabase: Sendable {
    private let environment: AppEnvironment
    private let opened = LoadedOnce<AppDatabase>()

    public init(environment: AppEnvironment) { self.environment = environment }

    public func get() throws -> AppDatabase {
        try opened.get { try environment.openDatabase() }
    }
}
