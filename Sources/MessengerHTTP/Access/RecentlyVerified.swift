import Foundation
import Synchronization

/// Credentials verified lately (by a digest of them), kept `lifetime` seconds, so that a client
/// calling at a high rate pays neither bcrypt nor a database query at every request. At most about a
/// thousand are kept (all are forgotten when more come).
final class RecentlyVerified: Sendable {
    private let entries = Mutex<[String: (Operator, Date)]>([:])
    let lifetime: TimeInterval

    init(lifetime: TimeInterval) { self.lifetime = lifetime }

    /// The operator verified under `key` less than `lifetime` ago.
    func known(_ key: String, now: Date = Date()) -> Operator? {
        guard let (found, at) = entries.withLock({ $0[key] }), now.timeIntervalSince(at) < lifetime else { return nil }
        return found
    }

    func remember(_ found: Operator, as key: String, now: Date = Date()) {
        entries.withLock { entries in
            if entries.count > 1000 { entries = [:] }
            entries[key] = (found, now)
        }
    }

    func forgetAll() { entries.withLock { $0 = [:] } }
}
