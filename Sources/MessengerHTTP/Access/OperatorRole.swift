/// What an operator may do: a `viewer` reads, an `admin` also acts (retry, cancel, pause, run now).
public enum OperatorRole: String, Sendable, CaseIterable, Codable {
    /// Reads everything.
    case viewer
    /// Reads and acts: dispatch, retry, cancel, pause, delete.
    case admin

    /// Whether this role may do what `needed` may.
    public func allows(_ needed: OperatorRole) -> Bool { self == .admin || needed == .viewer }
}
