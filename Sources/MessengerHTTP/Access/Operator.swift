/// Who made a request, and how they proved it.
public struct Operator: Sendable, Equatable {
    /// The ways of proving who one is.
    public enum Proof: String, Sendable {
        /// HTTP Basic with a user's password.
        case password
        /// A bearer API token.
        case token
        /// A browser session cookie (its state-changing requests carry the CSRF token).
        case session
    }

    /// The user's or token's name.
    public var name: String
    /// What they may do.
    public var role: OperatorRole
    /// How they proved who they are.
    public var proof: Proof
    /// The session's CSRF token (sessions only).
    public var csrfToken: String?
}
