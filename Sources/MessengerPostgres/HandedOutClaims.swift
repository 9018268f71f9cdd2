import Synchronization

/// The rows a transport has handed to its worker and not yet seen acknowledged, rejected or given
/// back. After a reconnection, rows its owner key still holds that are not among them were claimed
/// by a statement whose answer was lost with the connection: nobody handles them, so they are
/// given back (the key is the same in the new session, so they would not look abandoned).
final class HandedOutClaims: Sendable {
    private struct State {
        var claimedBefore = false
        var ids: Set<Int64> = []
    }

    private let state = Mutex(State())

    func claiming() { state.withLock { $0.claimedBefore = true } }
    func handOut(_ ids: [Int64]) { state.withLock { $0.ids.formUnion(ids) } }
    func settle(_ ids: [Int64]) { state.withLock { $0.ids.subtract(ids) } }
    func settle(_ id: Int64) { _ = state.withLock { $0.ids.remove(id) } }

    /// The ids handed out, or nil when this transport never claimed anything (nothing to look for).
    var handedOutIfClaimed: [Int64]? { state.withLock { $0.claimedBefore ? Array($0.ids) : nil } }
}
