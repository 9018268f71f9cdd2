import Foundation
import Synchronization

/// Slows password guessing: after `limit` failed logins for a user name within `window`, further
/// attempts for it are refused (429) until the oldest failure leaves the window. Kept per process.
final class LoginThrottle: Sendable {
    private let failures = Mutex<[String: [Date]]>([:])
    let limit: Int
    let window: TimeInterval

    init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    /// Seconds to wait before the next attempt for `name`, or nil when it may try now.
    func retryAfter(_ name: String, now: Date = Date()) -> Int? {
        failures.withLock { failures in
            let recent = (failures[name] ?? []).filter { now.timeIntervalSince($0) < window }
            failures[name] = recent.isEmpty ? nil : recent
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
        }
    }

    func failed(_ name: String, now: Date = Date()) {
        failures.withLock { failures in
            failures[name, default: []].append(now)
            if failures.count > 10_000 { failures = failures.filter { now.timeIntervalSince($0.value.last ?? now) < window } }
        }
    }

    func succeeded(_ name: String) { failures.withLock { $0[name] = nil } }
}
