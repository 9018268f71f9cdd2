import Messenger
import Synchronization

/// Stores messages sent one by one, from many tasks at once, with as few commits as possible.
///
/// A send that finds no insert running stores its message at once, on its own task (one statement,
/// one commit). Sends that arrive while an insert runs wait for it, then go together in the next
/// statement: each caller still returns only once its own message is committed, but concurrent
/// callers share commits instead of queueing behind one another's. When a shared statement fails
/// for a reason of the statement (not of the connection), each of its messages is tried again on
/// its own, so that one message's fault never fails another caller's send.
final class InsertCoalescer: Sendable {
    struct Row: Sendable {
        let encoded: EncodedEnvelope
        let delayMilliseconds: Int64
        var messageId: String? = nil
        var record: RecordedMessage? = nil
        var flow = FlowFields()
    }

    private struct Waiting: Sendable {
        let row: Row
        let continuation: CheckedContinuation<String, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var inserting = false
    }

    private let state = Mutex(State())
    private let store: @Sendable ([Row]) async throws -> [String]

    /// `store` inserts rows in one statement and returns their ids in order.
    init(store: @escaping @Sendable ([Row]) async throws -> [String]) {
        self.store = store
    }

    /// Stores one row; returns its id once it is committed.
    func insert(_ row: Row) async throws -> String {
        guard takeTurn() else {
            return try await withCheckedThrowingContinuation { continuation in
                enqueue(Waiting(row: row, continuation: continuation))
            }
        }
        let waiting = takeWaiting()
        defer { handOn() }
        let results = await storeEach([row] + waiting.map(\.row))
        for (other, result) in zip(waiting, results.dropFirst()) { other.continuation.resume(with: result) }
        return try results[0].get()
    }

    /// How many sends wait for the running insert (for tests).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// True when no insert runs: the caller runs the next one.
    private func takeTurn() -> Bool {
        state.withLock { state in
            guard !state.inserting else { return false }
            state.inserting = true
            return true
        }
    }

    private func takeWaiting() -> [Waiting] {
        state.withLock { state in
            defer { state.waiting = [] }
            return state.waiting
        }
    }

    /// Queues a send behind the running insert; if that insert ended in the meantime, starts a drain.
    private func enqueue(_ waiting: Waiting) {
        let drains = state.withLock { state -> Bool in
            state.waiting.append(waiting)
            guard !state.inserting else { return false }
            state.inserting = true
            return true
        }
        if drains { Task { await self.drain() } }
    }

    /// After an insert: what arrived meanwhile is stored by a drain; otherwise the turn is free.
    private func handOn() {
        let drains = state.withLock { state -> Bool in
            if state.waiting.isEmpty { state.inserting = false }
            return !state.waiting.isEmpty
        }
        if drains { Task { await self.drain() } }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Waiting] in
                defer { state.waiting = [] }
                if state.waiting.isEmpty { state.inserting = false }
                return state.waiting
            }
            guard !batch.isEmpty else { return }
            for (waiting, result) in zip(batch, await storeEach(batch.map(\.row))) { waiting.continuation.resume(with: result) }
        }
    }

    /// Stores rows in one statement; when the statement fails for a reason of its own, each row on
    /// its own. One outcome per row, in order.
    private func storeEach(_ rows: [Row]) async -> [Result<String, any Error>] {
        do {
            return try await storeChecked(rows).map { .success($0) }
        } catch let error as PostgresError where error.kind == .statement && rows.count > 1 {
            var results: [Result<String, any Error>] = []
            for row in rows { results += await storeEach([row]) }
            return results
        } catch {
            return rows.map { _ in .failure(error) }
        }
    }

    /// `store`, with one id for each row or an error.
    private func storeChecked(_ rows: [Row]) async throws -> [String] {
        let ids = try await store(rows)
        guard ids.count == rows.count else {
            throw MessengerError(.transportFailure, "the database returned \(ids.count) ids for \(rows.count) stored messages")
        }
        return ids
    }
}
