/// What a schedule does with occurrences it missed while no worker was consuming it.
public enum CatchUpPolicy: String, Sendable, CaseIterable, Codable {
    /// Every missed occurrence runs, oldest first, up to the recurring message's `maxCatchUp`.
    case all
    /// Only the most recent missed occurrence runs, and only when none is on time (the default).
    case last
    /// Missed occurrences are skipped.
    case none
}
