import Foundation
import Messenger
import MessengerPostgres
import MessengerSQLite

/// The application's database: SQLite (the default, the transport's own file) or PostgreSQL, as
/// `DATABASE_URL` says. Statements are written once with `$1…$n` parameters; values and rows travel as
/// text. Inside `transaction`, a message dispatched to a transport of the same database is stored in
/// that transaction.
public enum AppDatabase: Sendable {
    case sqlite(SQLiteConnection)
    case postgres(PostgresConnection)

    /// `sqlite://var/messenger.sqlite` (relative to `baseDirectory`), `sqlite:///abs.sqlite` or
    /// `postgresql://user:pass@host/db`.
    public static func open(url: String, baseDirectory: String) throws -> AppDatabase {
        let dsn: DSN
        do { dsn = try DSN(parsing: url) } catch { throw AppError("DATABASE_URL: \(error)") }
        switch dsn.scheme {
        case "sqlite":
            let written = (dsn.host ?? "") + dsn.path
            guard !written.isEmpty else { throw AppError("DATABASE_URL \(dsn) names no file; write sqlite://var/messenger.sqlite") }
            let path = written.hasPrefix("/") ? written : URL(fileURLWithPath: baseDirectory).appendingPathComponent(written).standardizedFileURL.path
            return .sqlite(SQLiteConnection(path: path))
        case "postgresql", "postgres":
            return .postgres(PostgresConnection(info: try PostgresConnectionInfo(dsn: dsn)))
        default:
            throw AppError("DATABASE_URL: unknown scheme \"\(dsn.scheme)\"; use sqlite:// or postgresql://")
        }
    }

    public var isPostgres: Bool { if case .postgres = self { true } else { false } }

    /// Runs statements without parameters.
    public func execute(_ sql: String) async throws {
        switch self {
        case .sqlite(let connection): try await connection.execute(sql)
        case .postgres(let connection): try await connection.execute(sql)
        }
    }

    /// Runs one statement with `$n` parameters (nil for NULL); returns its rows as text.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) async throws -> [[String?]] {
        switch self {
        case .sqlite(let connection):
            let rows = try await connection.query(Self.sqliteParameters(sql), parameters.map { $0.map(SQLiteValue.text) ?? .null })
            return rows.map { row in row.map(\.textValue) }
        case .postgres(let connection):
            return try await connection.query(sql, parameters.map { $0.map(PostgresValue.text) ?? .null }).rows
        }
    }

    /// Runs `body` in one transaction: committed if it returns, rolled back if it throws.
    public func transaction<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        switch self {
        case .sqlite(let connection): try await connection.withTransaction(body)
        case .postgres(let connection): try await connection.withTransaction(body)
        }
    }

    /// Inside `transaction`: waits until no other transaction holds `name`, then holds it until this
    /// one ends (PostgreSQL: a transaction-scoped advisory lock; SQLite's write transaction is
    /// exclusive already). Two runs of one job at once then take turns instead of racing.
    public func lock(_ name: String) async throws {
        if isPostgres { try await query("SELECT pg_advisory_xact_lock(hashtext($1))", [name]) }
    }

    public func close() async {
        switch self {
        case .sqlite(let connection): await connection.close()
        case .postgres(let connection): await connection.close()
        }
    }

    /// `$3` → `?3`: SQLite's numbered parameters.
    static func sqliteParameters(_ sql: String) -> String {
        var result = ""
        var iterator = sql.makeIterator()
        var pending: Character? = nil
        while let character = pending ?? iterator.next() {
            pending = nil
            guard character == "$" else { result.append(character); continue }
            guard let next = iterator.next() else { result.append(character); break }
            result.append(next.isNumber ? "?" : "$")
            pending = next
        }
        return result
    }
}

extension SQLiteValue {
    /// The value as text, as PostgreSQL's text format gives it.
    var textValue: String? {
        switch self {
        case .null: nil
        case .integer(let number): String(number)
        case .real(let number): String(number)
        case .text(let text): text
        }
    }
}

/// An application error for the operator: what is wrong, with what.
public struct AppError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
