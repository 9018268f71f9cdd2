import Foundation
import Synchronization

/// Slows password guessing: after `limit` failed logins for a user name from one client address
/// within `window`, further attempts for that pair are refused (403 with `Retry-After`) until the oldest failure leaves
/// the window. Keyed by the pair, so that whoever guesses cannot lock the user out from elsewhere
/// (behind a reverse proxy every client has the proxy's address: the key is then the name alone).
/// Kept per process.
final class LoginThrottle: Sendable {
    /// Who tries to log in, and from where.
    struct Attempt: Hashable {
        let name: String
        let client: String?
    }

    private let failures = Mutex<[Attempt: [Date]]>([:])
    let limit: Int
    let window: TimeInterval

    init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    /// Seconds to wait before the next attempt, or nil when it may be made now.
    func retryAfter(_ attempt: Attempt, now: Date = Date()) -> Int? {
        failures.withLock { failures in
            let recent = (failures[attempt] ?? []).filter { now.timeIntervalSince($0) < window }
            failures[attempt] = recent.isEmpty ? nil : recent
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
        }
    }

    func failed(_ attempt: Attempt, now: Date = Date()) {
        failures.withLock { failures in
            failures[attempt, default: []].append(now)
            if failures.count > 10_000 { failures = failures.filter { now.timeIntervalSince($0.value.last ?? now) < window } }
        }
    }

    func succeeded(_ attempt: Attempt) { failures.withLock { $0[attempt] = nil } }
}
