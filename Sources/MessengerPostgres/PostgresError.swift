/// A PostgreSQL failure: what failed, the server's SQLSTATE when there is one, and its message.
///
/// Messages come from the server or libpq, which never echo a password; the connection is named by
/// its redacted DSN.
public struct PostgresError: Error, CustomStringConvertible {
    /// What failed.
    public enum Kind: Sendable {
        /// Could not connect (refused, authentication, unknown database, ...).
        case connection
        /// The connection broke during a call; the next call reconnects.
        case connectionLost
        /// The server rejected a statement.
        case statement
        /// The connection is inside another task's transaction.
        case busy
    }

    /// What failed.
    public let kind: Kind
    /// The five-character SQLSTATE, e.g. `23505` for a unique violation.
    public let sqlState: String?
    /// The server's or libpq's message.
    public let message: String
    /// The redacted DSN of the connection.
    public let target: String

    /// A failure of `kind` on `target` (a redacted DSN).
    public init(kind: Kind, sqlState: String? = nil, message: String, target: String) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.target = target
    }

    /// True for connection failures that retrying will not fix: wrong password, unknown database or
    /// role, a connection parameter libpq refuses (`sslmode=bogus`, `connect_timeout=abc`).
    public var isPermanent: Bool {
        guard kind == .connection else { return false }
        let permanentMarkers = [
            "password authentication failed", "does not exist", "no pg_hba.conf entry", "authentication failed",
            "invalid ", "unterminated quoted string", "missing \"=\"", "server does not support SSL",
        ]
        return permanentMarkers.contains { message.contains($0) }
    }

    /// The session is gone: the connection broke, could not be opened, or the server ended it
    /// (SQLSTATE class 08 or 57P: shutdown, `pg_terminate_backend`).
    public var endedSession: Bool {
        kind == .connection || kind == .connectionLost || sqlState.map { $0.hasPrefix("08") || $0.hasPrefix("57P") } == true
    }

    /// The statement waited for a lock longer than the session's `lock_timeout`.
    public var isLockTimeout: Bool { sqlState == "55P03" }
    /// The statement ran longer than the session's `statement_timeout` (or was cancelled).
    public var isStatementTimeout: Bool { sqlState == "57014" }

    public var description: String {
        let state = sqlState.map { " [SQLSTATE \($0)]" } ?? ""
        switch kind {
        case .connection: return "cannot connect to PostgreSQL at \(target): \(message)\(state)"
        case .connectionLost: return "lost the PostgreSQL connection to \(target): \(message)\(state); it will be reopened"
        case .statement: return "PostgreSQL error on \(target): \(message)\(state)"
        case .busy: return "PostgreSQL connection to \(target) is busy: \(message)"
        }
    }
}
