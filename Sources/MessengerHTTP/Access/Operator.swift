/// Who made a request, and how they proved it.
public struct Operator: Sendable, Equatable {
    public enum Proof: String, Sendable {
        /// HTTP Basic with a user's password.
        case password
        /// A bearer API token.
        case token
        /// A browser session cookie (its state-changing requests carry the CSRF token).
        case session
    }

    public var name: String
    public var role: OperatorRole
    public var proof: Proof
    /// The session's CSRF token (sessions only).
    public var csrfToken: String?
}
