import Foundation

/// A way for an operator to prove who they are to the dashboard and the HTTP API: a user's password
/// hash, an API token's digest, or a browser session's digest. Only hashes and digests are stored.
public struct OperatorCredential: Sendable, Equatable {
    /// The kinds of credentials.
    public enum Kind: String, Sendable, CaseIterable {
        /// `key` is the user name, `secret` the password's bcrypt hash.
        case user
        /// `key` is the SHA-256 digest of the token; `name` names the token.
        case token
        /// `key` is the SHA-256 digest of the session cookie, `secret` the session's CSRF token.
        case session
    }

    /// What kind of credential it is.
    public var kind: Kind
    /// What it is found by (see ``Kind``).
    public var key: String
    /// Who it belongs to (the user, or the token's name).
    public var name: String
    /// `viewer` or `admin`.
    public var role: String
    /// The hash or token that goes with the key (see ``Kind``).
    public var secret: String
    /// When it was made.
    public var createdAt: Date
    /// Sessions expire; users and tokens do not (nil).
    public var expiresAt: Date?

    /// A credential of `kind` found by `key`, belonging to `name` with `role`.
    public init(kind: Kind, key: String, name: String, role: String, secret: String = "", createdAt: Date = Date(), expiresAt: Date? = nil) {
        self.kind = kind
        self.key = key
        self.name = name
        self.role = role
        self.secret = secret
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}
