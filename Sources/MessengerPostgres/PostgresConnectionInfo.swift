import Foundation
import Messenger

/// How to reach a database: the libpq URI built from a transport DSN (transport options stripped,
/// safe defaults added) and a name for logs and errors that never shows the password.
public struct PostgresConnectionInfo: Sendable, Equatable {
    /// Passed to libpq only.
    let uri: String
    /// The DSN with its password hidden.
    public let redacted: String
    /// host:port/database, to tell whether two connections reach the same database.
    public let databaseIdentity: String

    /// libpq settings added unless the DSN sets them: fail fast, and notice a dead peer in seconds.
    static let defaults: [(String, String)] = [
        ("connect_timeout", "5"), ("keepalives", "1"), ("keepalives_idle", "5"),
        ("keepalives_interval", "2"), ("keepalives_count", "3"), ("application_name", "messenger"),
    ]

    public init(dsn: DSN, strippingOptions transportOptions: Set<String> = []) throws {
        guard ["postgresql", "postgres"].contains(dsn.scheme) else {
            throw MessengerError(.invalidDSN, "not a PostgreSQL DSN: \(dsn)")
        }
        let raw = dsn.raw
        let afterScheme = raw[raw.range(of: "://")!.upperBound...]
        let beforeQuery = afterScheme[..<(afterScheme.firstIndex(of: "?") ?? afterScheme.endIndex)]
        var parameters = dsn.query.filter { !transportOptions.contains($0.0) }
        for (key, value) in Self.defaults where !parameters.contains(where: { $0.0 == key }) { parameters.append((key, value)) }
        let query = parameters.map { "\($0.0)=\(Self.encode($0.1))" }.joined(separator: "&")
        uri = "postgresql://" + beforeQuery + (query.isEmpty ? "" : "?" + query)
        redacted = dsn.description
        let database = dsn.path.hasPrefix("/") ? String(dsn.path.dropFirst()) : dsn.path
        databaseIdentity = "\(dsn.host ?? "localhost"):\(dsn.port ?? 5432)/\(database.isEmpty ? (dsn.user ?? "") : database)"
    }

    /// RFC 3986 unreserved characters stay; everything else is percent-encoded.
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    private static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }
}
