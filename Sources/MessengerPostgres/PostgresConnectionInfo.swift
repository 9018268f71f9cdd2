import CLibPQ
import Foundation
import Messenger

/// How to reach a database: libpq's connection string built from a transport DSN (transport
/// options stripped, safe defaults added) and a name for logs and errors that never shows the password.
///
/// libpq gets `keyword='value'` pairs built from the parsed DSN, never the DSN text: it has nothing to
/// misread, and so nothing of the DSN (its password included) to echo in an error.
public struct PostgresConnectionInfo: Sendable, Equatable {
    /// Passed to libpq only.
    let conninfo: String
    /// The DSN with its password hidden.
    public let redacted: String
    /// host:port/database, to tell whether two connections reach the same database.
    public let databaseIdentity: String
    /// Hidden from libpq's messages, should one ever quote it.
    private let password: String?

    /// libpq settings added unless the DSN sets them: fail fast, and notice a dead peer in seconds.
    static let defaults: [(String, String)] = [
        ("connect_timeout", "5"), ("keepalives", "1"), ("keepalives_idle", "5"),
        ("keepalives_interval", "2"), ("keepalives_count", "3"), ("application_name", "messenger"),
    ]

    /// `parameters`, when given, replace the DSN's query parameters (a transport's options: the
    /// DSN's query merged with those of its configuration).
    public init(dsn: DSN, strippingOptions transportOptions: Set<String> = [], parameters options: [String: String]? = nil) throws {
        guard ["postgresql", "postgres"].contains(dsn.scheme) else {
            throw MessengerError(.invalidDSN, "not a PostgreSQL DSN: \(dsn)")
        }
        var parameters: [(String, String)] = []
        if var host = dsn.host {
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            parameters.append(("host", host))
        }
        if let port = dsn.port { parameters.append(("port", String(port))) }
        let database = dsn.path.hasPrefix("/") ? String(dsn.path.dropFirst()) : dsn.path
        if !database.isEmpty { parameters.append(("dbname", database)) }
        if let user = dsn.user, !user.isEmpty { parameters.append(("user", user)) }
        if let password = dsn.password { parameters.append(("password", password)) }
        let given = options.map { $0.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } } ?? dsn.query
        for (key, value) in given where !transportOptions.contains(key) {
            parameters.removeAll { $0.0 == key }
            parameters.append((key, value))
        }
        for (key, value) in Self.defaults where !parameters.contains(where: { $0.0 == key }) { parameters.append((key, value)) }
        conninfo = parameters.map { "\($0.0)=\(Self.quoted($0.1))" }.joined(separator: " ")
        try Self.validate(conninfo, dsn: dsn)
        redacted = dsn.description
        // Each keyword appears once (a later value replaced an earlier one above).
        let value = Dictionary(parameters, uniquingKeysWith: { $1 })
        password = value["password"]
        databaseIdentity = "\(value["host"] ?? "localhost"):\(value["port"] ?? "5432")/\(value["dbname"] ?? value["user"] ?? "")"
    }

    /// libpq's own check of the keywords; an unknown one is an error naming it (never its value).
    private static func validate(_ conninfo: String, dsn: DSN) throws {
        var message: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &message) else {
            let reason = message.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "out of memory"
            if let message { PQfreemem(message) }
            throw MessengerError(.invalidDSN, "invalid PostgreSQL DSN \"\(dsn)\": \(reason); a query parameter is a transport option or one of libpq's connection parameters")
        }
        PQconninfoFree(options)
    }

    /// The text with the password, should it appear, replaced by `***` (short passwords are left to
    /// the structural redaction of the DSN: replacing two letters everywhere would garble the text).
    public func scrub(_ text: String) -> String {
        guard let password, password.count >= 4 else { return text }
        var scrubbed = text.replacingOccurrences(of: password, with: "***")
        if let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics), encoded != password {
            scrubbed = scrubbed.replacingOccurrences(of: encoded, with: "***")
        }
        return scrubbed
    }

    /// A value of libpq's `keyword='value'` syntax: single quotes and backslashes escaped.
    private static func quoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.conninfo == rhs.conninfo }
}
