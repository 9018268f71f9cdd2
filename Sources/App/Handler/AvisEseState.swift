/// Where a beneficiary's latest avis ESE stands on a day.
public enum AvisEseState: String, Sendable, Codable, CaseIterable {
    /// Asked for, not given yet.
    case pending
    /// Given and valid beyond the "soon" window.
    case valid
    /// Valid, but for no longer than the window (`AVIS_ESE_EXPIRY_WINDOW_DAYS`): the beneficiary is reminded once.
    case expiring
    /// Its validity has ended.
    case expired
}

/// What a recompute found: beneficiaries per state, and how many reminders it sent.
public struct AvisEseSummary: Sendable, Codable, Equatable {
    public var pending = 0
    public var valid = 0
    public var expiring = 0
    public var expired = 0
    public var reminded = 0
}
