import Synchronization

/// The claims a PostgreSQL transport knows it holds: rows claimed (handed to the worker, or read
/// ahead) and not yet deleted or given back, acknowledged ones included until their deletion is
/// written. A claim is a row id and its delivery count, so that a row claimed again later is a new
/// claim, never mistaken for an old one.
///
/// After a reconnection the transport compares them with the claims its owner key holds in the
/// table. Claims the key holds that are not known here were made by a statement whose answer was
/// lost with the connection: nobody handles them, so they are given back. Claims known here that
/// the key no longer holds were taken by another worker while the connection was down (or settled
/// by a statement whose answer was lost): the worker must not start them (`takeLost`). Every change
/// is made on the connection's executor, in the same step as the statement that causes it, so that a
/// reconnection never sees a claim half recorded.
final class HeldClaims: Sendable {
    private struct State {
        var claimedBefore = false
        var held: [Int64: Int64] = [:]
        var lost: Set<Claim> = []
    }

    private struct Claim: Hashable {
        let id: Int64
        let deliveries: Int64
    }

    private let state = Mutex(State())

    /// Called before a claim statement is sent: from then on a reconnection must look for its rows.
    func claiming() { state.withLock { $0.claimedBefore = true } }

    func hold(_ claims: [PostgresClaim]) {
        state.withLock { state in for claim in claims { state.held[claim.id] = claim.deliveries } }
    }

    /// The claims are settled (deleted or given back): no longer held.
    func settle(_ claims: [PostgresClaim]) {
        state.withLock { state in
            for claim in claims where state.held[claim.id] == claim.deliveries { state.held[claim.id] = nil }
        }
    }

    /// The claims held, or nil when this transport never claimed anything (nothing to look for).
    var heldIfClaimed: [PostgresClaim]? {
        state.withLock { $0.claimedBefore ? $0.held.map { (id: $0.key, deliveries: $0.value) } : nil }
    }

    /// Claims this transport held that its key no longer holds: not held, and not to be started.
    func markLost(_ claims: [PostgresClaim]) {
        state.withLock { state in
            for claim in claims {
                if state.held[claim.id] == claim.deliveries { state.held[claim.id] = nil }
                state.lost.insert(Claim(id: claim.id, deliveries: claim.deliveries))
            }
        }
    }

    /// Whether this claim was lost; answers true once per lost claim.
    func takeLost(_ claim: PostgresClaim) -> Bool {
        state.withLock { state in state.lost.isEmpty ? false : state.lost.remove(Claim(id: claim.id, deliveries: claim.deliveries)) != nil }
    }
}
