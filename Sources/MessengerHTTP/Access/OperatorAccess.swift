import Foundation
import Logging
import HummingbirdBcrypt
import Messenger

/// Users, API tokens and browser sessions: created by the console commands, checked at every
/// request. Passwords are bcrypt hashes; tokens and sessions are stored as SHA-256 digests.
public final class OperatorAccess: Sendable {
    let store: any OperatorCredentialStore
    let throttle: LoginThrottle
    let sessionLifetime: TimeInterval
    /// Where logins are reported (nil: nowhere).
    let logger: Logger?
    /// Basic credentials verified lately (by a digest of name and password): a minute.
    private let verified = RecentlyVerified(lifetime: 60)
    /// API tokens looked up lately (by their digest): a token deleted from the database stops
    /// working within 10 s.
    private let tokens = RecentlyVerified(lifetime: 10)
    static let bcryptCost: UInt8 = 12

    /// Access through the credentials of `store`: sessions last `sessionLifetime` seconds; `loginAttempts` failed logins for a user from one address within `loginWindow` seconds lock that pair for the rest of the window.
    public init(store: any OperatorCredentialStore, sessionLifetime: TimeInterval = 12 * 3600, loginAttempts: Int = 5, loginWindow: TimeInterval = 900, logger: Logger? = nil) {
        self.store = store
        self.logger = logger
        self.sessionLifetime = sessionLifetime
        throttle = LoginThrottle(limit: loginAttempts, window: loginWindow)
    }

    /// Creates or replaces a user with a password.
    public func saveUser(_ name: String, password: String, role: OperatorRole) async throws {
        try await store.saveCredential(OperatorCredential(kind: .user, key: name, name: name, role: role.rawValue, secret: Bcrypt.hash(password, cost: Self.bcryptCost)))
        verified.forgetAll()
    }

    /// Creates an API token and returns it: it is shown once; only its digest is kept.
    public func createToken(_ name: String, role: OperatorRole) async throws -> String {
        let token = "mt_" + SecretDigest.randomSecret()
        try await store.saveCredential(OperatorCredential(kind: .token, key: SecretDigest.digest(token), name: name, role: role.rawValue))
        return token
    }

    /// Why a login was refused.
    public enum LoginRefusal: Error, Equatable {
        /// Wrong user name or password.
        case invalid
        /// Too many failed logins: try again in `retryAfter` seconds.
        case throttled(retryAfter: Int)
    }

    /// Checks a user's password, throttled per user name and client address (`client`, nil when
    /// unknown): failures from one address do not lock the user out of the others.
    public func verifyPassword(name: String, password: String, client: String? = nil) async throws -> Result<Operator, LoginRefusal> {
        let attempt = LoginThrottle.Attempt(name: name, client: client)
        if let wait = throttle.retryAfter(attempt) { return .failure(.throttled(retryAfter: wait)) }
        let cacheKey = SecretDigest.digest(name + "\u{0}" + password)
        if let known = verified.known(cacheKey) { return .success(known) }
        guard let user = try await store.credential(kind: .user, key: name), let role = OperatorRole(rawValue: user.role),
              Bcrypt.verify(password, hash: user.secret) else {
            throttle.failed(attempt)
            return .failure(.invalid)
        }
        throttle.succeeded(attempt)
        let found = Operator(name: name, role: role, proof: .password)
        verified.remember(found, as: cacheKey)
        return .success(found)
    }

    /// The operator behind a bearer token, if it is one.
    public func verifyToken(_ token: String) async throws -> Operator? {
        let digest = SecretDigest.digest(token)
        if let known = tokens.known(digest) { return known }
        guard let credential = try await store.credential(kind: .token, key: digest),
              let role = OperatorRole(rawValue: credential.role) else { return nil }
        let found = Operator(name: credential.name, role: role, proof: .token)
        tokens.remember(found, as: digest)
        return found
    }

    /// Opens a browser session for a verified user: returns the cookie value and the operator
    /// (with the session's CSRF token).
    public func openSession(for user: Operator) async throws -> (cookie: String, operator: Operator) {
        let (cookie, csrf) = (SecretDigest.randomSecret(), SecretDigest.randomSecret())
        try await store.saveCredential(OperatorCredential(
            kind: .session, key: SecretDigest.digest(cookie), name: user.name, role: user.role.rawValue, secret: csrf,
            expiresAt: Date().addingTimeInterval(sessionLifetime)
        ))
        return (cookie, Operator(name: user.name, role: user.role, proof: .session, csrfToken: csrf))
    }

    /// The operator of a session cookie, if it is a live session.
    public func verifySession(_ cookie: String) async throws -> Operator? {
        guard let session = try await store.credential(kind: .session, key: SecretDigest.digest(cookie)),
              let role = OperatorRole(rawValue: session.role) else { return nil }
        return Operator(name: session.name, role: role, proof: .session, csrfToken: session.secret)
    }

    /// Ends the session of `cookie` (logout).
    public func closeSession(_ cookie: String) async throws {
        try await store.deleteCredential(kind: .session, key: SecretDigest.digest(cookie))
    }
}
